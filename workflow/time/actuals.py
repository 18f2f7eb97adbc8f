"""What a running cycle knows of its own dates: when each stage was entered, each transition fired
and the day each meeting a committee manager moved now falls on.

Definitions may count from '<stage> entered' or '<trigger> fired'; until a cycle gets there the
timeline plans them (see `calendar.Timeline.planned_event`), and from then on it uses these. A moved
meeting's new day replaces the definition's for everything dated from it: the stage signed off there
is due that day, and its reminders count from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from workflow.definition.calendar import Timeline
from workflow.definition.model import (
    ENTERED,
    FIRED,
    DateExpr,
    Definition,
    PeriodDate,
    milestone_key,
)
from workflow.store.models import CycleRecord, HistoryEntry
from workflow.time.clock import local_date

CHANGE = "meeting"
"""The history action of a meeting moved or cancelled (`workflow.commands.meetings`)."""


# Written out, not a bound parameter: the partial index ix_history_meeting_changes serves only a query whose
# condition says 'meeting' (a prepared statement's generic plan cannot know its parameter will).
MEETING_CHANGES = HistoryEntry.action == literal(CHANGE, literal_execute=True)


@dataclass(frozen=True)
class MeetingChange:
    meeting: str
    day: dt.date
    start: dt.time | None
    cancelled: bool
    sequence: int


def _change(data: dict[str, Any]) -> MeetingChange:
    start = dt.time.fromisoformat(data["start"]) if data.get("start") else None
    return MeetingChange(data["meeting"], dt.date.fromisoformat(data["date"]), start, bool(data["cancelled"]),
                         int(data["sequence"]))


def changes(session: Session, cycle_id: int) -> dict[str, MeetingChange]:
    """The latest change of each meeting of the cycle that was moved or cancelled."""
    found: dict[str, MeetingChange] = {}
    for data in session.scalars(select(HistoryEntry.data).where(HistoryEntry.cycle_id == cycle_id,
                                                                MEETING_CHANGES)
                                .order_by(HistoryEntry.id)):
        found[data["meeting"]] = _change(data)
    return found


def changes_of(session: Session, cycles: Any) -> dict[int, dict[str, MeetingChange]]:
    """`changes` of many cycles at once (`cycles`: a subquery of their ids): cycle id -> meeting -> latest change."""
    found: dict[int, dict[str, MeetingChange]] = {}
    for cycle_id, data in session.execute(select(HistoryEntry.cycle_id, HistoryEntry.data)
                                          .where(HistoryEntry.cycle_id.in_(cycles), MEETING_CHANGES)
                                          .order_by(HistoryEntry.id)):
        found.setdefault(cycle_id, {})[data["meeting"]] = _change(data)
    return found


def moved_days(session: Session, cycles: Any) -> dict[int, dict[str, dt.date]]:
    """For many cycles at once (`cycles`: a subquery of their ids), the day each moved meeting now falls on."""
    found: dict[int, dict[str, dt.date]] = {}
    for cycle_id, data in session.execute(select(HistoryEntry.cycle_id, HistoryEntry.data)
                                          .where(HistoryEntry.cycle_id.in_(cycles), MEETING_CHANGES)
                                          .order_by(HistoryEntry.id)):
        change = _change(data)
        found.setdefault(cycle_id, {})[change.meeting] = change.day
    return found


_USES_EVENTS: dict[tuple[str, int, str], bool] = {}


def dates_of(definition: Definition) -> list[DateExpr]:
    """Every date expression the definition writes."""
    found: list[DateExpr] = [m.date for m in definition.meetings.values()]
    for stage in definition.stages.values():
        found += [stage.due] if stage.due else []
        for strand in stage.strands:
            found += ([strand.due] if strand.due else []) + [when for _, when in strand.at]
    found += [t.at for t in definition.transitions if t.at is not None]
    return found


def uses_events(definition: Definition) -> bool:
    """Does any date count from when a stage was entered or a transition fired?"""
    key = (definition.id, definition.version, definition.checksum)
    if key not in _USES_EVENTS:
        _USES_EVENTS[key] = any(isinstance(d, PeriodDate) and d.event for d in dates_of(definition))
    return _USES_EVENTS[key]


def known_dates(session: Session, cycle: CycleRecord, definition: Definition) -> dict[str, dt.date]:
    """'entered:<stage>' and 'fired:<trigger>' days, the latest of each, from the history; and the day
    of each meeting that moved (a cancelled one keeps the day it had)."""
    moved = {meeting: change.day for meeting, change in changes(session, cycle.id).items()}
    if not uses_events(definition):
        return moved
    rows = session.execute(select(HistoryEntry.at, HistoryEntry.trigger, HistoryEntry.to_state, HistoryEntry.action)
                           .where(HistoryEntry.cycle_id == cycle.id, HistoryEntry.strand.is_(None),
                                  HistoryEntry.action.in_(("start", "fire")))
                           .order_by(HistoryEntry.id))
    found: dict[str, dt.date] = dict(moved)
    for at, trigger, to_state, _action in rows:
        day = local_date(at)
        if to_state:
            found[milestone_key(to_state, ENTERED)] = day
        if trigger:
            found[milestone_key(trigger, FIRED)] = day
    # The stage it is in counts from when it was entered, even if it was renamed by a move to a new version.
    found[milestone_key(cycle.state, ENTERED)] = local_date(cycle.state_entered_at)
    return found


def timeline_of(session: Session, cycle: CycleRecord, definition: Definition) -> Timeline:
    """The cycle's timeline: planned dates, with the entries and firings it knows already."""
    return Timeline(definition, cycle.year, known_dates(session, cycle, definition))
