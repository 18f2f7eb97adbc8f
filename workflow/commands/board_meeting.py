"""A board meeting: (board id, day) and the cycles and cases whose business comes to it.

Every cycle or case whose definition has a meeting of that board on that day (moves and cancellations applied,
`workflow.commands.meetings.schedule`) brings the business of the stages signed off at that meeting, unless it
left the stage before the meeting's day (decided early, or the cycle took another path). A finished cycle brings
it only if it left the stage on or after that day: the agenda of a meeting held stays as it was.

The meeting's details (title, start, venue, remote link) and the board's membership come from the definition of
the lowest-numbered cycle there (its "home" definition); the committee manager is checked against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.meetings import Scheduled, schedule
from workflow.definition.formatting import written_date
from workflow.definition.model import Definition, Meeting, MilestoneDate, Stage
from workflow.errors import NotFound
from workflow.store.models import Cycle, HistoryEntry
from workflow.store.unit import Store
from workflow.time.actuals import changes_of
from workflow.time.clock import local_date


@dataclass(frozen=True)
class Attending:
    """A cycle at the meeting: its row, its definition, and the stages whose business it brings."""

    cycle: Cycle
    definition: Definition
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class BoardMeeting:
    """The meeting of `board` on `day`, the cycles at it, and the board's meetings before and after it."""

    board: str
    day: dt.date
    meeting: Meeting  # with a moved start applied
    home: Definition
    cycles: tuple[Attending, ...]
    previous: dt.date | None = None
    next: dt.date | None = None
    next_start: dt.time | None = None  # the next meeting's start, when the definition gives one


def stages_at(definition: Definition, meeting_id: str, board: str) -> tuple[Stage, ...]:
    """The stages of `board` signed off at the meeting: due on the meeting's day, in the definition's order."""
    return tuple(stage for stage in definition.stages.values()
                 if stage.board == board and stage.due == MilestoneDate(meeting_id))


def find_meeting(session: Session, store: Store, board: str, day: dt.date) -> BoardMeeting:
    """The meeting of `board` on `day` (NotFound, one sentence, if no cycle has one)."""
    cycles = list(session.scalars(select(Cycle).order_by(Cycle.id)))
    moved = changes_of(session, select(Cycle.id).scalar_subquery())
    found: list[tuple[Cycle, Definition, Scheduled]] = []
    days: dict[dt.date, dt.time | None] = {}
    known_board = False
    for cycle in cycles:
        definition = store.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        if board not in definition.boards:
            continue
        known_board = True
        mine = [s for s in schedule(definition, cycle.year, moved.get(cycle.id, {}))
                if s.meeting.board == board and not s.cancelled]
        days.update((s.day, s.meeting.start) for s in mine)
        at = next((s for s in mine if s.day == day), None)
        if at is not None:
            found.append((cycle, definition, at))
    if not known_board:
        raise NotFound(f"no cycle has a board '{board}'")
    if not found:
        raise NotFound(f"the {board.replace('_', ' ')} board has no meeting on {written_date(day)}")
    left = _left_on(session, [cycle.id for cycle, _, _ in found])
    attending = []
    for cycle, definition, at in found:
        stages = tuple(stage for stage in stages_at(definition, at.meeting.id, board)
                       if _brings(cycle, left.get((cycle.id, stage.id)), day))
        attending.append(Attending(cycle, definition, stages))
    _, home, first = found[0]
    after = min((d for d in days if d > day), default=None)
    return BoardMeeting(board, day, first.meeting, home, tuple(attending),
                        max((d for d in days if d < day), default=None), after, days.get(after) if after else None)


def _brings(cycle: Cycle, left: dt.date | None, day: dt.date) -> bool:
    if left is not None and left < day:
        return False
    return cycle.status == "active" or left is not None


def _left_on(session: Session, cycle_ids: list[int]) -> dict[tuple[int, str], dt.date]:
    """The (UK) day each cycle last left each stage it left."""
    found: dict[tuple[int, str], dt.date] = {}
    rows = session.execute(select(HistoryEntry.cycle_id, HistoryEntry.from_state, HistoryEntry.at)
                           .where(HistoryEntry.cycle_id.in_(cycle_ids), HistoryEntry.from_state.is_not(None),
                                  HistoryEntry.to_state != HistoryEntry.from_state)
                           .order_by(HistoryEntry.id))
    for cycle_id, stage, at in rows:
        if stage is not None:
            found[(cycle_id, stage)] = local_date(at)
    return found


def meeting_days(session: Session, store: Store, board: str) -> list[tuple[dt.date, str]]:
    """Every meeting of `board` that some cycle has (moves applied, cancelled ones left out): (day, title), by day."""
    moved = changes_of(session, select(Cycle.id).scalar_subquery())
    found: dict[dt.date, str] = {}
    for cycle in session.scalars(select(Cycle).order_by(Cycle.id)):
        definition = store.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        if board in definition.boards:
            for s in schedule(definition, cycle.year, moved.get(cycle.id, {})):
                if s.meeting.board == board and not s.cancelled:
                    found.setdefault(s.day, s.meeting.title)
    return sorted(found.items())
