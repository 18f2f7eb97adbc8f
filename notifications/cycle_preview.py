"""The reminders a running cycle will send: those its deadlines table holds for the stage it is in, then
the ones each later stage will plan when entered (`reminders.preview`), on the cycle's own timeline.

The stage it is in is read, not recomputed: its StageEntered handler planned its reminders from the
moment it was entered, and a sent overdue reminder plans the next. Only if the handler has not run yet
are they planned here as it will plan them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.definition.model import Definition
from workflow.store.models import Cycle, Deadline, OutboxEvent
from workflow.time.actuals import timeline_of
from workflow.time.reminder_times import REMINDER, Occurrence, first_occurrences

from .reminders import Planned, preview


def current_occurrences(session: Session, cycle: Cycle, definition: Definition) -> list[Occurrence]:
    """The reminders of the stage the cycle is in that are still to go, as its deadlines table holds them."""
    entry = session.scalar(select(func.max(OutboxEvent.id)).where(
        OutboxEvent.cycle_id == cycle.id, OutboxEvent.event_type == "StageEntered"))
    if entry is None:
        return []
    rows = session.scalars(select(Deadline).where(Deadline.cycle_id == cycle.id, Deadline.kind == REMINDER,
                                                  Deadline.entry == entry)).all()
    if rows:
        return [Occurrence(r.data["rule"], r.data["kind"], int(r.data["n"]), r.due_at)
                for r in rows if r.status == "pending"]
    # Not planned yet (the handler has still to run): as it will plan them.
    event = session.get(OutboxEvent, entry)
    stage = definition.stages[cycle.state]
    due = timeline_of(session, cycle, definition).stage_due(stage.id)
    if event is None or due is None:
        return []
    return [o for rule_id in stage.reminders
            for o in first_occurrences(definition.reminders[rule_id], due, event.created_at)]


def preview_cycle(session: Session, cycle: Cycle, definition: Definition, templates_dir: Any, now: dt.datetime, *,
                  until: dt.date | None = None, if_late: bool = False) -> list[tuple[Planned, dict[str, Any]]]:
    """Every reminder the running cycle will send from now on, if each later stage completes on its due date."""
    return preview(definition, cycle.key, cycle.year, cycle.state, now, templates_dir, until=until, if_late=if_late,
                   timeline=timeline_of(session, cycle, definition),
                   current=current_occurrences(session, cycle, definition))
