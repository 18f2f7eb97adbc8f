"""Deadlines: what must happen at a time once a stage is entered (the sweep that does it: `commands.sweep`).

Deadlines are rows with a `due_at` and an index, never tasks scheduled weeks
ahead on a broker. Entering a stage plans them (the StageEntered handler);
the sweep claims the due ones (SKIP LOCKED on PostgreSQL, so sweeps running
side by side never act on the same row) and acts on each in the same
transaction that marks it done.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Table, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause, Executable

from workflow.definition.calendar import Timeline, add_working_days
from workflow.definition.model import Definition, Stage
from workflow.store.models import Base, Cycle, Deadline, OutboxEvent
from workflow.store.unit import Store, cycle_for_writing
from workflow.time.actuals import timeline_of
from workflow.time.clock import LOCAL, at_local

log = logging.getLogger(__name__)

STAGE_OVERDUE = "stage_overdue"
TIMED_TRANSITION = "timed_transition"
STRAND_TRIGGER = "strand_trigger"

PENDING: ColumnClause[Any] = literal_column("'pending'")
"""Compare `Deadline.status` with this, not with "pending": the partial index ix_deadlines_due is for
`status = 'pending'`, and a bound parameter there keeps a generic (prepared) plan off it."""

DEADLINES: Table = Base.metadata.tables["deadlines"]
# Built once for each backend, executed with many rows: a multi-row `.values([...])` is compiled afresh
# every time (about 2 ms of CPU), where this is compiled once and cached.
INSERT_PENDING: dict[bool, Executable] = {  # by `Store.on_postgresql`
    True: postgresql.insert(DEADLINES).on_conflict_do_nothing(index_elements=[DEADLINES.c.key]),
    False: sqlite.insert(DEADLINES).on_conflict_do_nothing(index_elements=[DEADLINES.c.key]),
}


def pending_row(*, key: str, cycle_id: int, stage: str, strand: str | None, kind: str, trigger: str | None,
                entry: int, due_at: dt.datetime, now: dt.datetime,
                data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new pending deadline, as `insert_pending` takes it."""
    return {"key": key, "cycle_id": cycle_id, "stage": stage, "strand": strand, "kind": kind, "trigger": trigger,
            "entry": entry, "due_at": due_at, "status": "pending", "attempts": 0, "created_at": now,
            "data": data if data is not None else {}}


def insert_pending(store: Store, session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deadline rows, in order, with no read first; a row whose key exists already is left as it is.

    `INSERT ... ON CONFLICT (key) DO NOTHING`, so planning twice (a redelivered event, two
    planners of one entry) makes each deadline once. Within `rows` the first of a key counts.
    """
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["key"], row)
    if not unique:
        return
    # Many rows: one executemany, which psycopg sends as one pipeline (one round trip).
    session.execute(INSERT_PENDING[store.on_postgresql], list(unique.values()))


def end_of_day(day: dt.date) -> dt.datetime:
    """The last minute of an English calendar day: 'runs until 3 January' closes at 23:59 on 3 January.

    Not midnight after it: that moment's local date is the 4th, and the history, the documents and
    `status` would all say the survey closed a day late.
    """
    return dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=LOCAL).astimezone(dt.UTC)


def entered_stage(engine: Store, session: Session, event: OutboxEvent) -> tuple[Cycle, Definition, Stage] | None:
    """For a StageEntered handler: the cycle, locked, if it is still in the stage this event entered.

    Locking the cycle row orders the handler against an officer's command on the same cycle:
    either the command sees (and cancels) what the handler plans, or the handler sees the stage left.
    """
    cycle = cycle_for_writing(session, event.cycle_id)
    if cycle is None or not is_current_entry(session, cycle, event.payload["stage"], event.id):
        return None
    definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
    return cycle, definition, definition.stages[event.payload["stage"]]


def plan_stage(engine: Store, session: Session, event: OutboxEvent, now: dt.datetime) -> None:
    """The StageEntered handler: create the stage's deadline rows (idempotent by key)."""
    entered = entered_stage(engine, session, event)
    if entered is None:
        return
    cycle, definition, stage = entered
    insert_pending(engine, session, stage_rows(cycle.id, definition, stage, timeline_of(session, cycle, definition),
                                       event.id, now))


def is_current_entry(session: Session, cycle: Cycle, stage: str, entry: int) -> bool:
    """Is the cycle still in the stage, by the entry (StageEntered event) given?"""
    if cycle.status != "active" or cycle.state != stage:
        return False
    latest = session.scalar(select(func.max(OutboxEvent.id)).where(
        OutboxEvent.cycle_id == cycle.id, OutboxEvent.event_type == "StageEntered"))
    return latest == entry


def stage_rows(cycle_id: int, definition: Definition, stage: Stage, timeline: Timeline, entry: int,
               now: dt.datetime) -> list[dict[str, Any]]:
    """The stage's own deadlines (overdue, timed transitions, strand triggers) on `timeline`'s dates."""
    planned: list[tuple[str, str | None, str | None, dt.datetime]] = []
    due = timeline.stage_due(stage.id)
    if due is not None and not stage.final:
        # Overdue from the start of the next working day: after any timed transition due the same day.
        planned.append((STAGE_OVERDUE, None, None, at_local(add_working_days(due, 1), 9)))
    for transition in definition.transitions_from(stage.id):
        if transition.at is not None:
            planned.append((TIMED_TRANSITION, None, transition.trigger, end_of_day(timeline.resolve(transition.at))))
    for strand in stage.strands:
        for strand_trigger, when in strand.at:
            planned.append((STRAND_TRIGGER, strand.id, strand_trigger, end_of_day(timeline.resolve(when))))
    return [pending_row(key=f"{entry}:{kind}:{strand_id or ''}:{trigger or ''}", cycle_id=cycle_id, stage=stage.id,
                        strand=strand_id, kind=kind, trigger=trigger, entry=entry, due_at=due_at, now=now)
            for kind, strand_id, trigger, due_at in planned]


def backlog(engine: Store, at: dt.datetime) -> int:
    """Work the workers still owe at `at`: unhandled events and pending deadlines already due."""
    with engine.sessions() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None)))
        due = session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == PENDING,
                                                                           Deadline.due_at <= at))
        return int(events or 0) + int(due or 0)


def next_due(engine: Store, after: dt.datetime, until: dt.datetime) -> dt.datetime | None:
    """The earliest pending deadline due in (after, until]."""
    with engine.sessions() as session:
        return session.scalar(select(func.min(Deadline.due_at)).where(
            Deadline.status == PENDING, Deadline.due_at > after, Deadline.due_at <= until))
