"""A stage's dates follow its meeting: when the meeting it is signed off at moves, so does everything dated from it.

The new day is known from the meeting's change row (`workflow.time.actuals`), so the stage's due
date, `status` and every later reminder read it from there. What was planned already is put
right here, in the committee manager's transaction: the current stage's pending deadlines
(overdue, reminders, timed steps) are planned again from the moved date by the planners' own
rules, as if the stage were entered now, so a "10 working days before" that has passed is not
sent late. A reminder that has gone already keeps its row (its key), so it never goes twice.
A history row says what moved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.definition.calendar import Timeline
from workflow.definition.model import Definition, ReminderRule
from workflow.store.models import Cycle, Deadline, OutboxEvent
from workflow.store.unit import Store
from workflow.time.actuals import known_dates
from workflow.time.deadlines import insert_pending, stage_rows
from workflow.time.reminder_times import (
    REMINDER,
    Occurrence,
    first_occurrences,
    overdue,
    reminder_rows,
)

RESCHEDULED = "rescheduled"
"""The history action: the current stage's due date moved with a meeting."""
MOVED = "moved with the meeting"
"""How a deadline put aside by a move says so (`last_error`); a later move may bring it back."""


def follow_meeting(store: Store, session: Session, cycle: Cycle, definition: Definition, meeting: str, day: dt.date,
                   now: dt.datetime) -> dict[str, Any] | None:
    """Before `meeting`'s move to `day` is written: if the current stage's due date moves with it, replan its
    pending deadlines and return what the history row records; None if the stage's dates stay as they were.

    The deadline rows are locked before the command writes anything else, so a sweep acting on one at this
    moment finishes first (and its row is then seen as done), and one starting later skips them.
    """
    stage = definition.stages[cycle.state]
    known = known_dates(session, cycle, definition)
    before = Timeline(definition, cycle.year, known)
    was = None if stage.final else before.stage_due(stage.id)
    timeline = Timeline(definition, cycle.year, {**known, meeting: day})
    due = None if stage.final else timeline.stage_due(stage.id)
    entry = session.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.cycle_id == cycle.id,
                                                                  OutboxEvent.event_type == "StageEntered"))
    if was is None or due is None or due == was or entry is None:
        return None
    rows = _locked(session, cycle, stage.id, entry)
    sent = {(r.data.get("rule"), r.data.get("kind"), r.data.get("n")) for r in rows
            if r.kind == REMINDER and r.status == "done"}
    occurrences = [_unsent(definition.reminders[rule], due, o, sent) for rule in stage.reminders
                   for o in first_occurrences(definition.reminders[rule], due, now)]
    # The stage's own deadlines that this move changes (a timed step dated otherwise keeps its time and
    # any retry it is on), and every reminder as the planner would make it now.
    unchanged = {(row["key"], row["due_at"]) for row in stage_rows(cycle.id, definition, stage, before, entry, now)}
    planned = {row["key"]: row for row in stage_rows(cycle.id, definition, stage, timeline, entry, now)
               if (row["key"], row["due_at"]) not in unchanged}
    planned.update((row["key"], row) for row in reminder_rows(cycle.id, stage.id, entry, occurrences, now))
    moved = _replan(store, session, rows, planned, now)
    return {"stage": stage.id, "meeting": meeting, "from": was.isoformat(), "to": due.isoformat(), "deadlines": moved}


def _locked(session: Session, cycle: Cycle, stage: str, entry: int) -> list[Deadline]:
    return list(session.scalars(select(Deadline).where(Deadline.cycle_id == cycle.id, Deadline.entry == entry,
                                                       Deadline.stage == stage)
                                .order_by(Deadline.id).with_for_update()))


def _unsent(rule: ReminderRule, due: dt.date, occurrence: Occurrence, sent: set[tuple[Any, Any, Any]]) -> Occurrence:
    """An overdue reminder whose number went already (counted from the old date) is followed by the next on
    the rule's rhythm: a stage moved after falling overdue still gets overdue reminders from its new date."""
    while occurrence.kind == "overdue" and rule.overdue_every and \
            (occurrence.rule, occurrence.kind, occurrence.n) in sent:
        occurrence = overdue(rule, due, occurrence.n + rule.overdue_every)
    return occurrence


def _replan(store: Store, session: Session, rows: list[Deadline], planned: dict[str, dict[str, Any]], now: dt.datetime) -> int:
    """Pending rows of this entry move to their new time (a reminder no longer planned is put aside); rows
    planned now and not there before are added. Rows done (a reminder sent) are left alone: a key planned
    again is not inserted twice. Returns how many rows moved."""
    moved = 0
    for row in rows:
        again = planned.get(row.key)
        waiting = row.status == "pending" or (row.status == "cancelled" and row.last_error == MOVED)
        if not waiting:
            continue
        if again is None:
            if row.status == "pending" and row.kind == REMINDER:  # one that would now go late, or not at all
                row.status, row.done_at, row.last_error = "cancelled", now, MOVED
            continue
        if row.due_at != again["due_at"] or row.status != "pending":
            row.status, row.due_at, row.done_at, row.last_error = "pending", again["due_at"], None, None
            moved += 1
    known = {row.key for row in rows}
    insert_pending(store, session, [row for key, row in planned.items() if key not in known])
    return moved
