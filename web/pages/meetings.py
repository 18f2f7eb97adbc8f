"""Board meetings of a running cycle: the committee manager moves one to another day, or cancels it, as
`cycle meeting move` and `cycle meeting cancel` do.

The form posts to a check page (the command's own dry run, so every refusal it would give is given
here, beside the field it concerns); "Tell the members" posts the same fields hidden and runs the
command, whose MeetingChanged event has the workers send each member of the board the calendar
update (and each case contact its invitation went to, their own: `notifications.outside_updates`). Who may do
this is the command's rule, asked before anything is shown: a board's committee manager (`require_manager`)
sees the meetings of the boards they manage, and another board's meeting is refused (`board_manager`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from notifications.calendar_invite import meeting_times
from workflow.commands.meetings import (
    Scheduled,
    board_manager,
    change_meeting,
    manages_board,
    require_manager,
    scheduled,
)
from workflow.definition.formatting import long_date
from workflow.errors import CycleError, InvalidInput, NotFound
from workflow.time.clock import local_date

from ..access import Seat, seat
from ..problems import status_of
from .render import done, render
from .viewer import Viewer, viewer
from .words import board_name, cycle_title

router = APIRouter(include_in_schema=False)

CHANGES = (("move", "Move it to another day or time"), ("cancel", "Cancel it"))


@dataclass
class Typed:
    """What was typed into the form, as strings; it travels hidden through the check page."""

    change: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    start: str = ""
    reason: str = ""

    def fields(self) -> list[tuple[str, str]]:
        return [("change", self.change), ("new-date-day", self.day), ("new-date-month", self.month),
                ("new-date-year", self.year), ("start", self.start), ("reason", self.reason)]


def hours(found: Scheduled) -> str:
    """'10:00 to 12:00' in UK time, or nothing when the definition gives the day only."""
    times = meeting_times(found.meeting, found.day)
    return f"{times[0]:%H:%M} to {times[1]:%H:%M}" if times else ""


def manager_seat(request: Request, seen: Viewer, cycle: str) -> Seat:
    """The person at the cycle, once the command's own rule says they may move its meetings (403 otherwise)."""
    at = seat(request.app.state.cycles, seen.principal, cycle)
    require_manager(at.definition, at.person)
    return at


def meetings_of(request: Request, at: Seat) -> list[Scheduled]:
    """The cycle's meetings of the boards the person manages."""
    engine = request.app.state.cycle.engine
    with engine.sessions() as session:
        return [s for s in scheduled(session, at.definition, at.cycle.id, at.cycle.year)
                if manages_board(at.definition, s.meeting.board, at.person)]


def meeting_of(request: Request, at: Seat, meeting: str) -> Scheduled:
    """One meeting of the cycle, once the person manages its board (403 with a sentence naming the board)."""
    if meeting in at.definition.meetings:
        board_manager(at.definition, at.definition.meetings[meeting].board, at.person, "move or cancel the meetings")
    found = next((s for s in meetings_of(request, at) if s.meeting.id == meeting), None)
    if found is None:
        raise NotFound(f"{cycle_title(at.definition, at.cycle.year, at.cycle.key)} has no such meeting")
    return found


def show_list(request: Request, seen: Viewer, cycle: str) -> Response:
    at = manager_seat(request, seen, cycle)
    today = local_date(request.app.state.cycle.engine.clock.now())
    rows = [{"scheduled": s, "board": board_name(at.definition, s.meeting.board), "hours": hours(s),
             "changeable": not s.cancelled and s.day >= today} for s in meetings_of(request, at)]
    return render(request, "meetings.html", title=f"Meetings: {cycle_title(at.definition, at.cycle.year, at.cycle.key)}",
                  section="/cycles", cycle=at.cycle, cycle_name=cycle_title(at.definition, at.cycle.year, at.cycle.key), rows=rows)


def show_form(request: Request, at: Seat, found: Scheduled, typed: Typed, *, errors: dict[str, str] | None = None,
              status: int = 200) -> Response:
    return render(request, "meeting_change.html", status=status, title=f"Move or cancel the {found.meeting.title}",
                  section="/cycles", errors=errors or {}, cycle=at.cycle, found=found, hours=hours(found),
                  board=board_name(at.definition, found.meeting.board), typed=typed, changes=CHANGES)


def new_form(request: Request, seen: Viewer, cycle: str, meeting: str) -> Response:
    at = manager_seat(request, seen, cycle)
    found = meeting_of(request, at, meeting)
    # The form starts from the day it has now, so a new start time alone leaves the day as it is.
    return show_form(request, at, found, Typed(day=str(found.day.day), month=str(found.day.month),
                                               year=str(found.day.year)))


@dataclass(frozen=True)
class Wanted:
    """The command's arguments, read from the form."""

    day: dt.date | None = None
    start: dt.time | None = None
    cancel: bool = False


def _checked(typed: Typed) -> tuple[Wanted, dict[str, str]]:
    """The command's arguments from the form, or a sentence for each field that is not filled in as it must be."""
    errors: dict[str, str] = {}
    day, start = None, None
    if typed.change not in ("move", "cancel"):
        errors["change"] = "say whether the meeting moves or is cancelled"
    elif typed.change == "move":
        if typed.day or typed.month or typed.year:
            try:
                day = dt.date(int(typed.year), int(typed.month), int(typed.day))
            except ValueError:
                errors["new-date"] = "the new date must be a real date, like 26 8 2021"
        if typed.start:
            try:
                start = dt.time.fromisoformat(typed.start)
            except ValueError:
                errors["start"] = "the start time must be a time of day, like 14:00"
        if not errors and day is None and start is None:
            errors["new-date"] = "enter the new date, or a new start time, or both"
    if not typed.reason:
        errors["reason"] = "say why, in words the members will read"
    return Wanted(day, start, typed.change == "cancel"), errors


def post_form(request: Request, seen: Viewer, cycle: str, meeting: str, typed: Typed, action: str) -> Response:
    engine = request.app.state.cycle.engine
    at = manager_seat(request, seen, cycle)
    found = meeting_of(request, at, meeting)
    if action == "change":
        return show_form(request, at, found, typed)
    wanted, errors = _checked(typed)
    if errors:
        return show_form(request, at, found, typed, errors=errors, status=422)
    try:
        change = change_meeting(engine, at.cycle.id, meeting, at.person, reason=typed.reason, day=wanted.day,
                                start=wanted.start, cancel=wanted.cancel, dry_run=action != "save")
    except CycleError as exc:
        if not isinstance(exc, InvalidInput):
            raise  # a role lost or a cycle finished meanwhile: the error page says which
        field = "new-date" if typed.change == "move" else "change"
        return show_form(request, at, found, typed, errors={field: str(exc)}, status=status_of(exc))
    members = len(at.definition.boards[found.meeting.board].members)
    if action != "save":
        return render(request, "meeting_check.html", title="Check the change before telling the members",
                      section="/cycles", cycle=at.cycle, found=found, hours=hours(found), change=change,
                      board=board_name(at.definition, found.meeting.board), typed=typed, members=members)
    at_time = f" at {change.start:%H:%M}" if change.start and not change.cancelled else ""
    what = "is cancelled" if change.cancelled else f"moves to {long_date(change.day)}{at_time}"
    return done(f"/cycles/{at.cycle.key}/meetings",
                f"The {found.meeting.title} {what}; its {members} members are sent the calendar update by email"
                + ("; so are the case's contacts who were sent its invitation" if found.meeting.invite else ""))


@router.get("/cycles/{cycle}/meetings")
async def meetings_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show_list, request, seen, cycle)


@router.get("/cycles/{cycle}/meetings/{meeting}")
async def meeting_form(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                       meeting: str) -> Response:
    return await run_in_threadpool(new_form, request, seen, cycle, meeting)


@router.post("/cycles/{cycle}/meetings/{meeting}")
async def change_posted(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                        meeting: str, change: Annotated[str, Form(max_length=20)] = "",
                        day: Annotated[str, Form(alias="new-date-day", max_length=4)] = "",
                        month: Annotated[str, Form(alias="new-date-month", max_length=4)] = "",
                        year: Annotated[str, Form(alias="new-date-year", max_length=6)] = "",
                        start: Annotated[str, Form(max_length=10)] = "",
                        reason: Annotated[str, Form(max_length=2000)] = "",
                        action: Annotated[str, Form(max_length=20)] = "check") -> Response:
    typed = Typed(change.strip(), day.strip(), month.strip(), year.strip(), start.strip(), reason.strip())
    return await run_in_threadpool(post_form, request, seen, cycle, meeting, typed, action)
