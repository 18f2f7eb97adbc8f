"""Deadlines: what must happen at a time once a stage is entered, and the sweep that does it.

Deadlines are rows with a `due_at` and an index, never tasks scheduled weeks
ahead on a broker. Entering a stage plans them (the StageEntered handler);
the sweep claims the due ones (SKIP LOCKED on PostgreSQL, so sweeps running
side by side never act on the same row) and acts on each in the same
transaction that marks it done.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause, Executable

from workflow.definition.calendar import Timeline, add_working_days
from workflow.definition.model import Definition, Stage
from workflow.engine import SYSTEM_ACTOR, Engine
from workflow.errors import ConcurrentChange, GateNotMet, Refused
from workflow.store import tally
from workflow.store.backoff import Backoff, describe
from workflow.store.models import Base, Cycle, Deadline, HistoryEntry, OutboxEvent
from workflow.store.outbox import wall_clock
from workflow.time.actuals import timeline_of
from workflow.time.clock import LOCAL, at_local, local_date

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
INSERT_PENDING: dict[str, Executable] = {
    "postgresql": postgresql.insert(DEADLINES).on_conflict_do_nothing(index_elements=[DEADLINES.c.key]),
    "sqlite": sqlite.insert(DEADLINES).on_conflict_do_nothing(index_elements=[DEADLINES.c.key]),
}


def pending_row(*, key: str, cycle_id: int, stage: str, strand: str | None, kind: str, trigger: str | None,
                entry: int, due_at: dt.datetime, now: dt.datetime,
                data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new pending deadline, as `insert_pending` takes it."""
    return {"key": key, "cycle_id": cycle_id, "stage": stage, "strand": strand, "kind": kind, "trigger": trigger,
            "entry": entry, "due_at": due_at, "status": "pending", "attempts": 0, "created_at": now,
            "data": data if data is not None else {}}


def insert_pending(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deadline rows, in order, with no read first; a row whose key exists already is left as it is.

    `INSERT ... ON CONFLICT (key) DO NOTHING`, so planning twice (a redelivered event, two
    planners of one entry) makes each deadline once. Within `rows` the first of a key counts.
    """
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["key"], row)
    if not unique:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in INSERT_PENDING:
        raise NotImplementedError(f"deadlines are planned on PostgreSQL or SQLite, not {dialect}")
    # Many rows: one executemany, which psycopg sends as one pipeline (one round trip).
    session.execute(INSERT_PENDING[dialect], list(unique.values()))


def end_of_day(day: dt.date) -> dt.datetime:
    """The last minute of an English calendar day: 'runs until 3 January' closes at 23:59 on 3 January.

    Not midnight after it: that moment's local date is the 4th, and the history, the documents and
    `status` would all say the survey closed a day late.
    """
    return dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=LOCAL).astimezone(dt.UTC)


def entered_stage(engine: Engine, session: Session, event: OutboxEvent) -> tuple[Cycle, Definition, Stage] | None:
    """For a StageEntered handler: the cycle, locked, if it is still in the stage this event entered.

    Locking the cycle row orders the handler against an officer's command on the same cycle:
    either the command sees (and cancels) what the handler plans, or the handler sees the stage left.
    """
    cycle = session.get(Cycle, event.cycle_id, with_for_update=True)
    if cycle is None or not Sweeper.is_current_entry(session, cycle, event.payload["stage"], event.id):
        return None
    definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
    return cycle, definition, definition.stages[event.payload["stage"]]


def plan_stage(engine: Engine, session: Session, event: OutboxEvent, now: dt.datetime) -> None:
    """The StageEntered handler: create the stage's deadline rows (idempotent by key)."""
    entered = entered_stage(engine, session, event)
    if entered is None:
        return
    cycle, definition, stage = entered
    insert_pending(session, stage_rows(cycle.id, definition, stage, timeline_of(session, cycle, definition),
                                       event.id, now))


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


@dataclass
class SweepReport:
    done: int = 0
    skipped: int = 0
    retried: int = 0
    errors: int = 0  # actions that raised: put off with backoff, or marked failed
    failed: int = 0  # of those, the ones that reached the bound
    acted: list[str] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(deadline kind, outcome) -> how many: done, refused, left_stage, gate_not_met, error, failed."""

    def total(self) -> int:
        return self.done + self.skipped + self.retried + self.errors


Action = Callable[[Session, Deadline, Cycle, dt.datetime], str]
"""Acts on a claimed deadline; returns its new status ("done", "skipped" or "pending" to retry)."""


class Sweeper:
    def __init__(self, engine: Engine, actions: dict[str, Action] | None = None, *,
                 backoff: Backoff | None = None) -> None:
        self.engine = engine
        self.backoff = backoff or Backoff()
        self.actions: dict[str, Action] = {
            STAGE_OVERDUE: self._stage_overdue,
            TIMED_TRANSITION: self._timed_transition,
            STRAND_TRIGGER: self._strand_trigger,
            **(actions or {}),
        }

    def sweep(self, *, limit: int = 1000) -> SweepReport:
        """Act on every due deadline, up to `limit`, one transaction each."""
        report = SweepReport()
        now = self.engine.clock.now()
        while report.total() < limit:
            try:
                status = self._one(now, report)
            except ConcurrentChange:
                # An officer moved the same cycle at this moment: the deadline stays due for the next sweep.
                break
            if status is None:
                break
        return report

    def _one(self, now: dt.datetime, report: SweepReport) -> str | None:
        with self.engine.unit_of_work() as session:
            # The cycle's row is locked with the deadline's (or the deadline skipped while another
            # transaction holds it): a history row is chained under the cycle's lock, and taking it
            # only later, while another command or timed transition holds the cycle and waits to cancel this
            # very deadline, would deadlock.
            row = session.scalars(
                select(Deadline)
                .join(Cycle, Cycle.id == Deadline.cycle_id)
                .where(Deadline.status == PENDING, Deadline.due_at <= now,
                       or_(Deadline.next_attempt_at.is_(None), Deadline.next_attempt_at <= wall_clock()))
                .order_by(Deadline.due_at, Deadline.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            cycle = session.get(Cycle, row.cycle_id)
            assert cycle is not None
            reason = ""
            try:
                # A savepoint: an action that raises undoes only its own writes, and the row records why.
                with session.begin_nested():
                    if not self._still_current(session, row, cycle):
                        status, row.last_error = "skipped", f"the cycle had left '{row.stage}' before this was due"
                        reason = "left_stage"
                    else:
                        status = self.actions[row.kind](session, row, cycle, now)
            except (ConcurrentChange, OperationalError):
                raise  # not this row's fault: the next sweep tries it again
            except Exception as exc:  # any other failure is this row's alone
                return self._failed(row, cycle, exc, report)
            row.attempts += 1
            report.outcomes[row.kind, reason or {"pending": "gate_not_met", "skipped": "refused"}.get(status, status)] += 1
            if status == "pending":
                report.retried += 1
            else:
                row.status, row.done_at = status, now
                if status == "done":
                    report.done += 1
                    report.acted.append(f"{cycle.key}:{row.kind}:{row.trigger or row.stage}")
                else:
                    report.skipped += 1
            return status

    def _failed(self, row: Deadline, cycle: Cycle, error: Exception, report: SweepReport) -> str:
        row.attempts += 1
        row.failures += 1
        row.last_error = describe(error)
        report.errors += 1
        gives_up = self.backoff.gives_up(row.failures)
        report.outcomes[row.kind, "failed" if gives_up else "error"] += 1
        if gives_up:
            row.status, row.next_attempt_at = "failed", None
            report.failed += 1
            log.error("deadline %s (%s of %s) failed %d times and is set aside: %s; an officer can retry it with "
                      "'cycle deadlines retry %s'", row.id, row.kind, cycle.key, row.failures, row.last_error, row.id)
            return "failed"
        row.next_attempt_at = wall_clock() + self.backoff.delay(row.failures)
        log.warning("deadline %s (%s of %s) raised %s; trying again at %s", row.id, row.kind, cycle.key,
                    row.last_error, row.next_attempt_at)
        return "pending"

    @staticmethod
    def _still_current(session: Session, row: Deadline, cycle: Cycle) -> bool:
        return Sweeper.is_current_entry(session, cycle, row.stage, row.entry)

    @staticmethod
    def is_current_entry(session: Session, cycle: Cycle, stage: str, entry: int) -> bool:
        """Is the cycle still in the stage, by the entry (StageEntered event) given?"""
        if cycle.status != "active" or cycle.state != stage:
            return False
        latest = session.scalar(select(func.max(OutboxEvent.id)).where(
            OutboxEvent.cycle_id == cycle.id, OutboxEvent.event_type == "StageEntered"))
        return latest == entry

    def _event(self, session: Session, cycle: Cycle, now: dt.datetime, event_type: str, **payload: object) -> None:
        session.add(OutboxEvent(cycle_id=cycle.id, event_type=event_type, created_at=now, payload={
            "cycle_id": cycle.id, "cycle": cycle.key, "definition": cycle.definition_id,
            "definition_version": cycle.definition_version, "at": now.isoformat(), **payload}))

    def _stage_overdue(self, session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        session.add(HistoryEntry(cycle_id=cycle.id, at=now, actor=SYSTEM_ACTOR, action="overdue", trigger=None,
                                 strand=None, from_state=cycle.state, to_state=cycle.state, comment=None,
                                 data={"stage": row.stage, "due_at": row.due_at.isoformat()}))
        due = timeline_of(session, cycle, self.engine.catalog.snapshot(
            session, cycle.definition_id, cycle.definition_version)).stage_due(row.stage)
        self._event(session, cycle, now, "StageOverdue", stage=row.stage, deadline_id=row.id,
                    due=due.isoformat() if due else None)
        return "done"

    def _timed_transition(self, session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        assert row.trigger is not None
        try:
            with session.begin_nested():
                self.engine.fire_in(session, cycle.id, row.trigger, SYSTEM_ACTOR,
                                    comment="Fired by the scheduler on the date the definition sets")
            return "done"
        except GateNotMet as refused:
            tally.count_refusal(session, refused)
            # Not possible yet (a strand still open): try again next working day, and say so once.
            if row.attempts == 0:
                self._event(session, cycle, now, "TimedTransitionBlocked", stage=row.stage, trigger=row.trigger,
                            deadline_id=row.id, reasons=refused.reasons)
            row.last_error = str(refused)
            row.due_at = end_of_day(add_working_days(local_date(now), 1))
            return "pending"
        except Refused as refused:
            tally.count_refusal(session, refused)
            row.last_error = str(refused)
            return "skipped"

    def _strand_trigger(self, session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        assert row.trigger is not None and row.strand is not None
        try:
            with session.begin_nested():
                self.engine.fire_in(session, cycle.id, row.trigger, SYSTEM_ACTOR, strand=row.strand,
                                    comment="Fired by the scheduler on the date the definition sets")
            return "done"
        except GateNotMet as refused:
            tally.count_refusal(session, refused)
            # The strand has not run its minimum length yet: try again at the end of the next working day.
            row.last_error = str(refused)
            row.due_at = end_of_day(add_working_days(local_date(now), 1) - dt.timedelta(days=1))
            return "pending"
        except Refused as refused:
            tally.count_refusal(session, refused)
            # e.g. the survey was closed by hand already, or never launched: nothing to do, said why.
            row.last_error = str(refused)
            return "skipped"


def backlog(engine: Engine, at: dt.datetime) -> int:
    """Work the workers still owe at `at`: unhandled events and pending deadlines already due."""
    with engine.sessions() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None)))
        due = session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == PENDING,
                                                                           Deadline.due_at <= at))
        return int(events or 0) + int(due or 0)


def next_due(engine: Engine, after: dt.datetime, until: dt.datetime) -> dt.datetime | None:
    """The earliest pending deadline due in (after, until]."""
    with engine.sessions() as session:
        return session.scalar(select(func.min(Deadline.due_at)).where(
            Deadline.status == PENDING, Deadline.due_at > after, Deadline.due_at <= until))
