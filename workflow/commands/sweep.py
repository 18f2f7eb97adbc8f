"""The sweep: act on every deadline that is due, each in the transaction that marks it done.

The sweep claims due rows (SKIP LOCKED on PostgreSQL, so sweeps running side by side never act on
the same row): a stage overdue becomes a history row and an event, a timed transition or strand
trigger fires as the scheduler (`commands.fire`). What the rows are and when they are due is
`time.deadlines`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from workflow.commands.cycles import SYSTEM_ACTOR
from workflow.commands.fire import fire_in
from workflow.definition.calendar import add_working_days
from workflow.errors import ConcurrentChange, GateNotMet, Refused
from workflow.store import tally
from workflow.store.backoff import Backoff, describe
from workflow.store.models import Cycle, Deadline, HistoryEntry, OutboxEvent
from workflow.store.outbox import wall_clock
from workflow.store.unit import Store
from workflow.time.actuals import timeline_of
from workflow.time.clock import local_date
from workflow.time.deadlines import (
    PENDING,
    STAGE_OVERDUE,
    STRAND_TRIGGER,
    TIMED_TRANSITION,
    end_of_day,
    is_current_entry,
)

log = logging.getLogger(__name__)


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
    def __init__(self, engine: Store, actions: dict[str, Action] | None = None, *,
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
        return is_current_entry(session, cycle, stage, entry)

    @staticmethod
    def _event(session: Session, cycle: Cycle, now: dt.datetime, event_type: str, **payload: object) -> None:
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
                fire_in(self.engine, session, cycle.id, row.trigger, SYSTEM_ACTOR,
                                    comment="Fired by the scheduler on the date the definition sets")
            return "done"
        except GateNotMet as refused:
            tally.count_refusal(self.engine, session, refused)
            # Not possible yet (a strand still open): try again next working day, and say so once.
            if row.attempts == 0:
                self._event(session, cycle, now, "TimedTransitionBlocked", stage=row.stage, trigger=row.trigger,
                            deadline_id=row.id, reasons=refused.reasons)
            row.last_error = str(refused)
            row.due_at = end_of_day(add_working_days(local_date(now), 1))
            return "pending"
        except Refused as refused:
            tally.count_refusal(self.engine, session, refused)
            row.last_error = str(refused)
            return "skipped"

    def _strand_trigger(self, session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        assert row.trigger is not None and row.strand is not None
        try:
            with session.begin_nested():
                fire_in(self.engine, session, cycle.id, row.trigger, SYSTEM_ACTOR, strand=row.strand,
                                    comment="Fired by the scheduler on the date the definition sets")
            return "done"
        except GateNotMet as refused:
            tally.count_refusal(self.engine, session, refused)
            # The strand has not run its minimum length yet: try again at the end of the next working day.
            row.last_error = str(refused)
            row.due_at = end_of_day(add_working_days(local_date(now), 1) - dt.timedelta(days=1))
            return "pending"
        except Refused as refused:
            tally.count_refusal(self.engine, session, refused)
            # e.g. the survey was closed by hand already, or never launched: nothing to do, said why.
            row.last_error = str(refused)
            return "skipped"
