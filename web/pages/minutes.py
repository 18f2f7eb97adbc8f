"""A board meeting's minutes: members read them; the committee manager drafts them, writes each minute's
narrative in a textarea, each save a new version, and records their approval with the day of the next meeting
that approved them (`cycle minutes draft`, `cycle minutes edit` and `cycle minutes approve`).

Who may read and who may edit is the read's and the commands' rule (`workflow.reads.minutes`,
`workflow.commands.minutes`); the page only shows and posts.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from notifications.minutes_document import render_minutes
from workflow.commands.minutes import approve_minutes, draft_minutes, edit_minutes
from workflow.definition.formatting import written_date
from workflow.errors import CycleError, InvalidInput, NotFound
from workflow.reads.minutes import minutes_of

from ..downloads import INLINE, download_headers
from ..problems import status_of
from .render import done, render
from .viewer import Viewer, viewer

router = APIRouter(include_in_schema=False)
PAGE = "/boards/{board}/meetings/{day}/minutes"
NARRATIVE_MAX = 20_000
APPROVED = "approved-at"


def meeting_day(day: str) -> dt.date:
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise NotFound(f"'{day[:20]}' is not a meeting day; the address gives it as YYYY-MM-DD") from None


def show(request: Request, seen: Viewer, board: str, day: str, *, errors: dict[str, str] | None = None,
         status: int = 200, typed: dict[str, str] | None = None) -> Response:
    found = minutes_of(request.app.state.cycle.engine, board, meeting_day(day), seen.email)
    groups = [(label, ", ".join(people)) for label, people in (
        ("Present", found.present), ("Co-opted members without voting rights", found.co_opted),
        ("Observers", found.observers), ("Officers", found.officers), ("Apologies", found.apologies)) if people]
    return render(request, "minutes.html", status=status, title=f"Minutes: {found.board_name}, {day}",
                  section="/my-boards", m=found, groups=groups, errors=errors or {}, typed=typed or {})


def pdf(request: Request, seen: Viewer, board: str, day: str) -> Response:
    document = render_minutes(minutes_of(request.app.state.cycle.engine, board, meeting_day(day), seen.email))
    return Response(document.pdf, media_type="application/pdf",
                    headers=download_headers(f"minutes-{board}-{day}.pdf", INLINE))


def post(request: Request, seen: Viewer, board: str, day: str, action: str, typed: dict[str, str]) -> Response:
    engine = request.app.state.cycle.engine
    when = meeting_day(day)
    if action == "draft":
        saved = draft_minutes(engine, board, when, seen.email)
        return done(PAGE.format(board=board, day=day), f"Minutes drafted: version {saved.version}")
    if action == "approve":
        return approve(request, seen, board, day, typed)
    narratives = {typed[f"minute-{i}"]: typed.get(f"narrative-{i}", "") for i in range(1, 501)
                  if f"minute-{i}" in typed}
    too_long = next((f"narrative-{i}" for i in range(1, 501) if len(typed.get(f"narrative-{i}", "")) > NARRATIVE_MAX),
                    None)
    if too_long:
        return show(request, seen, board, day, errors={too_long: f"at most {NARRATIVE_MAX} characters"},
                    status=422)
    try:
        saved = edit_minutes(engine, board, when, seen.email, narratives)
    except CycleError as exc:
        if not isinstance(exc, InvalidInput):
            raise
        return show(request, seen, board, day, errors={"narrative-1": str(exc)}, status=status_of(exc))
    said = f"Minutes saved: version {saved.version}" if saved.created else "Nothing changed: the minutes are as saved"
    return done(PAGE.format(board=board, day=day), said)


def approve(request: Request, seen: Viewer, board: str, day: str, typed: dict[str, str]) -> Response:
    """Record the approval, with the day of the meeting that approved them (`cycle minutes approve --at`)."""
    parts = [typed.get(f"{APPROVED}-{part}", "").strip() for part in ("year", "month", "day")]
    try:
        at = dt.date(*(int(part) for part in parts))
    except ValueError:
        return show(request, seen, board, day, errors={APPROVED: "Enter the date of the meeting that approved them, "
                                                                 "for example 9 3 2022"}, status=422, typed=typed)
    try:
        approved = approve_minutes(request.app.state.cycle.engine, board, meeting_day(day), seen.email, at=at)
    except InvalidInput as exc:
        return show(request, seen, board, day, errors={APPROVED: str(exc)}, status=status_of(exc), typed=typed)
    return done(PAGE.format(board=board, day=day),
                f"Minutes approved at the meeting of {written_date(approved.approved_on)}, signed by {approved.chair}")


@router.get(PAGE)
async def minutes_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], board: str, day: str) -> Response:
    return await run_in_threadpool(show, request, seen, board, day)


@router.get(PAGE + ".pdf")
async def minutes_pdf(request: Request, seen: Annotated[Viewer, Depends(viewer)], board: str, day: str) -> Response:
    return await run_in_threadpool(pdf, request, seen, board, day)


@router.post(PAGE)
async def minutes_posted(request: Request, seen: Annotated[Viewer, Depends(viewer)], board: str,
                         day: str) -> Response:
    form = await request.form()
    typed = {k: v[:NARRATIVE_MAX + 1] for k, v in form.items()
             if isinstance(v, str) and (k.startswith(("minute-", "narrative-", APPROVED)))}
    action = str(form.get("action", "save"))
    return await run_in_threadpool(post, request, seen, board, day, action, typed)
