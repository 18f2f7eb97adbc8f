"""A board meeting's agenda page, /boards/{board}/meetings/{day}/agenda: the agenda laid out as the seed pack has it
(front sheet, membership, numbered items, the private part for those entitled), and, for the committee manager,
forms to add, move and withdraw items and to issue it, calling `workflow.commands.agenda` as `cycle agenda` does.

Who sees it and what: `workflow.reads.agenda` (members; private items only for those entitled); a refusal of a
change comes back on the page beside its form (422), a lost role or a meeting that does not exist is the error page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.commands import agenda as commands
from workflow.commands.agenda_items import spoken_time
from workflow.definition.formatting import long_date
from workflow.errors import InvalidInput, NotFound
from workflow.reads.agenda import agenda_and_role
from workflow.time.clock import local_date

from ..problems import status_of
from .render import done, render
from .viewer import Viewer, viewer

router = APIRouter(include_in_schema=False)
PURPOSES = [("", "None"), ("For decision", "For decision"), ("For information", "For information")]
PARAGRAPHS = [("", "Not exempt: a public item"), *((str(n), f"Paragraph {n}") for n in range(1, 8))]


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NotFound(f"'{text}' is not a meeting's date") from None


def _address(board: str, day: dt.date) -> str:
    return f"/boards/{board}/meetings/{day.isoformat()}/agenda"


def show(request: Request, seen: Viewer, board: str, day_text: str, *, errors: dict[str, str] | None = None,
         typed: dict[str, str] | None = None, status: int = 200) -> Response:
    engine = request.app.state.cycle.engine
    day = _day(day_text)
    found, manages = agenda_and_role(engine, board, day, seen.email)
    today = local_date(engine.clock.now())
    when = f"{spoken_time(found.start)}, {long_date(found.day)}" if found.start else long_date(found.day)
    return render(request, "agenda.html", status=status, title=f"Agenda: {found.title}", section="/my-boards",
                  agenda=found, manages=manages and today <= day, when=when, late=found.issue_by is not None
                  and today > found.issue_by, address=_address(board, day), errors=errors or {},
                  typed=typed or {}, purposes=PURPOSES, paragraphs=PARAGRAPHS)


def post(request: Request, seen: Viewer, board: str, day_text: str, action: str, fields: dict[str, str]) -> Response:
    engine = request.app.state.cycle.engine
    day = _day(day_text)
    reissue = fields.get("reissue") == "yes"
    item = fields.get("item", "")
    try:
        if action == "add":
            paragraph = fields.get("exempt", "")
            commands.add_item(engine, board, day, seen.email, title=fields.get("title", ""),
                              purpose=fields.get("purpose", ""), author=fields.get("author") or None,
                              exempt=int(paragraph) if paragraph.isdigit() else None,
                              description=fields.get("description", ""), reissue=reissue)
            notice = "The item is added to the agenda"
        elif action in ("up", "down"):
            commands.move_item(engine, board, day, seen.email, item, up=action == "up", down=action == "down",
                               reissue=reissue)
            notice = f"Item {item} is moved {action}"
        elif action == "withdraw":
            commands.withdraw_item(engine, board, day, seen.email, item, reason=fields.get("reason", ""),
                                   reissue=reissue)
            notice = f"Item {item} is withdrawn"
        elif action == "issue":
            issued = commands.issue(engine, board, day, seen.email)
            notice = f"The agenda is issued as version {issued.version}; the pack is sent to the members"
            if issued.late:
                notice += ". It was issued after the notice deadline"
        else:
            raise InvalidInput("choose what to do with the agenda")
    except InvalidInput as exc:
        field = {"add": "title", "withdraw": f"reason-{item}", "issue": "issue"}.get(action, f"item-{item}")
        return show(request, seen, board, day_text, errors={field: str(exc)}, typed=fields, status=status_of(exc))
    return done(_address(board, day), notice)


@router.get("/boards/{board}/meetings/{day}/agenda")
async def agenda_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], board: str, day: str) -> Response:
    return await run_in_threadpool(show, request, seen, board, day)


@router.post("/boards/{board}/meetings/{day}/agenda")
async def agenda_posted(request: Request, seen: Annotated[Viewer, Depends(viewer)], board: str, day: str,
                        action: Annotated[str, Form(max_length=20)] = "",
                        item: Annotated[str, Form(max_length=120)] = "",
                        title: Annotated[str, Form(max_length=300)] = "",
                        purpose: Annotated[str, Form(max_length=30)] = "",
                        author: Annotated[str, Form(max_length=100)] = "",
                        exempt: Annotated[str, Form(max_length=2)] = "",
                        description: Annotated[str, Form(max_length=2000)] = "",
                        reason: Annotated[str, Form(max_length=2000)] = "",
                        reissue: Annotated[str, Form(max_length=3)] = "") -> Response:
    fields = {"item": item.strip(), "title": title.strip(), "purpose": purpose.strip(), "author": author.strip(),
              "exempt": exempt.strip(), "description": description.strip(), "reason": reason.strip(),
              "reissue": reissue.strip()}
    return await run_in_threadpool(post, request, seen, board, day, action.strip(), fields)
