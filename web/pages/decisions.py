"""Decisions of a cycle: the register, and recording, amending or rescinding a decision as the signed-in person.

Recording works without script as the check-answers pattern: the form posts to a preview
that shows the outcome by the board's quorum rule (the engine's own `outcome_of`); "Save
the decision" posts the same fields hidden and calls `engine.decide`; "Change" shows the
form again as typed. Every problem is listed at once, each beside its field; a refusal by the
engine shows its sentence beside the field, nothing written. "All voting members present" and
"All present voted for" are submit buttons too: the form comes back with them applied.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.commands.decision_rules import scheduled_meeting, takes_priorities
from workflow.errors import CycleError, InvalidInput, MeetingNotHeld, NotFound
from workflow.time.actuals import timeline_of
from workflow.time.clock import local_date

from ..access import Seat, seat
from ..problems import status_of
from ..records import RowId
from .decision_form import ATTENDANCE, VOTES, Entry, blank, fill_in, members, read, register
from .render import done, render
from .viewer import Viewer, viewer
from .words import board_name, cycle_title

router = APIRouter(include_in_schema=False)


def _may_decide(request: Request, at: Seat) -> bool:
    try:
        request.app.state.cycle.engine.require(at.definition, at.person, "decide")
    except CycleError:
        return False
    return True


def _item_title(at: Seat, item: str, board: str = "") -> str:
    return at.definition.item_title(board, item)


def show_register(request: Request, seen: Viewer, cycle: str) -> Response:
    engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    status = engine.status(at.cycle.id, reader=at.person)
    rows = [{**d, "board_name": board_name(at.definition, d["board"]),
             "item_title": _item_title(at, d["item"], d["board"])}
            for d in reversed(status.decisions)]
    return render(request, "decisions.html", title=f"Decisions: {cycle_title(at.definition, at.cycle.year, at.cycle.key)}",
                  section="/cycles", cycle=at.cycle, cycle_name=cycle_title(at.definition, at.cycle.year, at.cycle.key),
                  rows=rows, may_decide=_may_decide(request, at))


def _form_context(request: Request, at: Seat, entry: Entry) -> dict[str, Any]:
    definition = at.definition
    if entry.board not in definition.boards:
        raise NotFound(f"there is no board '{entry.board}' in '{definition.id}'")
    return {"cycle": at.cycle, "cycle_name": cycle_title(definition, at.cycle.year, at.cycle.key),
            "board": definition.boards[entry.board], "item_title": _item_title(at, entry.item, entry.board),
            "members": members(definition, entry.board), "entry": entry,
            "attendance_options": ATTENDANCE, "vote_options": VOTES,
            "takes_priorities": takes_priorities(definition, entry.board, entry.item)}


def _in_force(request: Request, at: Seat, board: str, item: str, day: dt.date) -> int | None:
    """The decision in force on the item from that meeting, if any: what a refused second decision should amend."""
    decisions = request.app.state.cycle.engine.status(at.cycle.id, reader=at.person).decisions
    return next((d["id"] for d in decisions if (d["board"], d["item"], d["meeting_date"]) == (board, item, day.isoformat())
                 and d["in_force"] and d["outcome"] != "rescinded"), None)


def show_form(request: Request, seen: Viewer, at: Seat, entry: Entry, *, errors: dict[str, str] | None = None,
              status: int = 200, amend_instead: int | None = None) -> Response:
    context = _form_context(request, at, entry)
    title = "Amend a decision" if entry.amends else "Record a decision"
    interests_open = any(entry.interest.values()) or any(name.startswith("interest-") for name in errors or {})
    return render(request, "decision_form.html", status=status, title=title, section="/cycles",
                  errors=errors or {}, amend_instead=amend_instead, interests_open=interests_open, **context)


def new_form(request: Request, seen: Viewer, cycle: str, board: str, item: str, amends: str) -> Response:
    engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    engine.require(at.definition, at.person, "decide")
    if board not in at.definition.boards:
        raise InvalidInput(f"there is no board '{board}' in '{at.definition.id}'")
    with engine.sessions() as session:
        row = engine.find_cycle(session, at.cycle.id)
        # The cycle's own timeline: a meeting the committee manager moved is met on its new day.
        day = scheduled_meeting(at.definition, timeline_of(session, row, at.definition), board, item, row.state)
    return show_form(request, seen, at, blank(board, item, day, amends))  # nobody's attendance assumed


def post_form(request: Request, seen: Viewer, cycle: str, form: dict[str, Any]) -> Response:
    at = seat(request.app.state.cycles, seen.principal, cycle)
    request.app.state.cycle.engine.require(at.definition, at.person, "decide")  # no preview for those who cannot save
    board = str(form.get("board") or "")
    if board not in at.definition.boards:
        raise InvalidInput(f"there is no board '{board}' in '{at.definition.id}'")
    board_members = members(at.definition, board)
    entry = read(form, board_members)
    action = form.get("action")
    if action == "change":
        return show_form(request, seen, at, entry)
    if action in ("all-present", "all-for"):
        fill_in(entry, board_members, str(action))
        return show_form(request, seen, at, entry)
    checked, errors = register(at.definition, entry, board_members)
    if errors:
        return show_form(request, seen, at, entry, errors=errors, status=422)
    if action != "save":
        context = _form_context(request, at, entry)
        return render(request, "decision_preview.html", title="Check the decision before saving it",
                      section="/cycles", checked=checked, fields=entry.fields(), **context)
    try:
        recorded = request.app.state.cycle.engine.decide(at.cycle.id, board, entry.item, at.person,
                                                         **checked.kwargs)
    except CycleError as exc:
        earlier = None if checked.kwargs["amends"] else _in_force(request, at, board, entry.item, checked.day)
        # A second decision at the same meeting, or one dated by a meeting still to come: the date is what to change.
        field = "meeting-date" if earlier or isinstance(exc, MeetingNotHeld) else "register"
        return show_form(request, seen, at, entry, errors={field: str(exc)}, status=status_of(exc),
                         amend_instead=earlier)
    return done(f"/cycles/{at.cycle.key}/decisions",
                f"Decision {recorded.decision_id} recorded: the {board_name(at.definition, board)} "
                f"{recorded.outcome} '{_item_title(at, entry.item, board)}'.")


def rescind_page(request: Request, seen: Viewer, cycle: str, decision: int, form: dict[str, Any] | None) -> Response:
    engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    engine.require(at.definition, at.person, "decide")
    found = next((d for d in engine.status(at.cycle.id, reader=at.person).decisions if d["id"] == decision), None)
    if found is None:
        raise NotFound(f"there is no decision {decision} in this cycle")
    today = local_date(engine.clock.now())
    values = {"reason": "", "day": str(today.day), "month": str(today.month), "year": str(today.year)}
    errors: dict[str, str] = {}
    status = 200
    if form is not None:
        values = {k: str(form.get(name) or "").strip()[:2000] for k, name in
                  (("reason", "reason"), ("day", "meeting-date-day"), ("month", "meeting-date-month"),
                   ("year", "meeting-date-year"))}
        try:
            day = dt.date(int(values["year"]), int(values["month"]), int(values["day"]))
        except ValueError:
            errors["meeting-date"] = "the meeting date must be a real date, like 19 8 2021"
        else:
            try:
                engine.rescind(at.cycle.id, decision, at.person, reason=values["reason"] or None, meeting_date=day)
            except CycleError as exc:
                errors["reason"] = str(exc)
                status = status_of(exc)
            else:
                return done(f"/cycles/{at.cycle.key}/decisions", f"Decision {decision} rescinded.")
        status = status if status != 200 else 422
    row = {**found, "board_name": board_name(at.definition, found["board"]),
           "item_title": _item_title(at, found["item"], found["board"])}
    return render(request, "decision_rescind.html", status=status, title=f"Rescind decision {decision}",
                  section="/cycles", cycle=at.cycle, cycle_name=cycle_title(at.definition, at.cycle.year, at.cycle.key),
                  decision=row, values=values, errors=errors)


@router.get("/cycles/{cycle}/decisions")
async def decisions_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show_register, request, seen, cycle)


@router.get("/cycles/{cycle}/decisions/new")
async def new_decision(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                       board: str = "", item: str = "", amends: str = "") -> Response:
    return await run_in_threadpool(new_form, request, seen, cycle, board[:100], item[:100], amends[:12])


@router.post("/cycles/{cycle}/decisions/new")
async def post_decision(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(post_form, request, seen, cycle, form)


@router.get("/cycles/{cycle}/decisions/{decision}/rescind")
async def rescind_form(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                       decision: RowId) -> Response:
    return await run_in_threadpool(rescind_page, request, seen, cycle, decision, None)


@router.post("/cycles/{cycle}/decisions/{decision}/rescind")
async def rescind_post(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str, decision: RowId,
                       csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(rescind_page, request, seen, cycle, decision, form)
