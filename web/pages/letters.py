"""Letters for post: the reminders a case's contacts with no email are sent as letters, each PDF to download and
print, and a button to mark it posted (`cycle letters list|save|posted`), for those who manage the contacts.

A letter marked posted leaves the letters to post and shows who posted it and on what day. The engine checks the
role (`workflow.reads.contacts`, `workflow.commands.letters`); a refusal is the error page and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.commands.letters import AlreadyPosted
from workflow.errors import InvalidInput, NotFound
from workflow.reads import contacts as reads
from workflow.time.clock import local_date

from .. import outside_parties as outside
from ..access import engine_of, known_of, seat
from ..downloads import download_headers
from ..records import RowId
from .render import done, refused, render
from .viewer import Viewer, viewer
from .words import cycle_title, person_title

router = APIRouter(include_in_schema=False)


def control(letter_id: int) -> str:
    return f"posted-{letter_id}"


def show(request: Request, seen: Viewer, cycle: str) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    found = reads.letters(engine_of(request), at.cycle.id, at.person)  # refuses those who may not manage contacts
    today = local_date(engine_of(request).clock.now())
    return render(request, "letters.html", title="Letters for post", section="/cycles", at=at,
                  cycle_title=cycle_title(at.definition, at.cycle.year, at.cycle.key), today=today,
                  to_post=[x for x in found if x.posted_on is None], posted=[x for x in found if x.posted_on],
                  control=control, who=lambda person: person_title(at.definition, person))


def pdf(request: Request, seen: Viewer, cycle: str, letter_id: RowId) -> Response:
    at, content = outside.letter_pdf(request, seen.principal, letter_id)
    if at.cycle.key != seat(known_of(request), seen.principal, cycle).cycle.key:
        raise NotFound(f"cycle {cycle} has no letter {letter_id}")
    return Response(content, media_type="application/pdf",
                    headers={**download_headers(f"letter-{letter_id}.pdf"),
                             "Cache-Control": "no-store"})


def day_of(form: Mapping[str, Any], name: str) -> dt.date:
    parts = [str(form.get(f"{name}-{part}", "")).strip() for part in ("year", "month", "day")]
    try:
        return dt.date(*(int(p) for p in parts))
    except ValueError:
        raise InvalidInput("the day it was posted must be a real date, like 12 7 2021") from None


def mark(request: Request, seen: Viewer, cycle: str, letter_id: int, form: Mapping[str, Any]) -> Response:
    back = f"/cycles/{seat(known_of(request), seen.principal, cycle).cycle.key}/letters"
    try:
        marked = outside.posted(request, seen.principal, letter_id, day_of(form, control(letter_id)))
    except (InvalidInput, AlreadyPosted) as exc:  # a person the engine refuses gets the error page
        return refused(back, {control(letter_id): str(exc)})
    return done(back, f"Letter {marked.letter} marked posted")


Seen = Annotated[Viewer, Depends(viewer)]


@router.get("/cycles/{cycle}/letters")
async def letters_page(request: Request, seen: Seen, cycle: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle)


@router.get("/cycles/{cycle}/letters/{letter_id}/pdf")
async def letter_pdf(request: Request, seen: Seen, cycle: str, letter_id: RowId) -> Response:
    return await run_in_threadpool(pdf, request, seen, cycle, letter_id)


@router.post("/cycles/{cycle}/letters/{letter_id}/posted")
async def letter_posted(request: Request, seen: Seen, cycle: str, letter_id: RowId) -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(mark, request, seen, cycle, letter_id, form)
