"""Work that failed and was set aside, put back by an officer.

A deadline, event or email that failed past its bound stops only itself: it is
marked failed with its last error and waits here. Who may put it back is one
rule (`check_officer`), used for all three by every entry point.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.definition.entitlement import may_manage_mail as may_manage_work
from workflow.definition.model import Definition
from workflow.errors import InvalidInput, NotFound, RoleMissing
from workflow.store.models import Cycle, Deadline, OutboxEvent
from workflow.store.outbox import wall_clock
from workflow.store.unit import Store


def check_officer(definition: Definition, actor: str, what: str) -> None:
    """Refuse unless `actor` is in the definition's directory and may manage its failed work.

    The rule itself is `entitlement.may_manage_mail`: those who start cycles or attach papers.
    """
    if actor not in definition.people:
        raise RoleMissing(f"'{actor}' is not in the directory of '{definition.id}'")
    if not may_manage_work(definition, actor):
        allowed = {role for command in ("start", "attach") for role in definition.permissions.get(command, ())}
        raise RoleMissing(f"{actor} cannot retry {what}: that needs one of the roles {', '.join(sorted(allowed))}")


def _definition(engine: Store, session: Session, cycle_id: int) -> Definition:
    cycle = session.get(Cycle, cycle_id)
    assert cycle is not None
    return engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)


def retry_deadline(engine: Store, deadline_id: int, actor: str) -> Deadline:
    """Make a failed deadline pending again; the next sweep acts on it."""
    with engine.unit_of_work() as session:
        row = session.get(Deadline, deadline_id, with_for_update=True)
        if row is None:
            raise NotFound(f"there is no deadline {deadline_id}")
        check_officer(_definition(engine, session, row.cycle_id), actor, "deadlines")
        if row.status != "failed":
            raise InvalidInput(f"deadline {deadline_id} is {row.status}; only a failed deadline is retried")
        row.status, row.failures, row.next_attempt_at = "pending", 0, None
        session.flush()
        session.expunge(row)
        return row


def retry_event(engine: Store, event_id: int, actor: str) -> OutboxEvent:
    """Put a failed event back in the outbox; the relay publishes it again and its handlers that did not run, run."""
    with engine.unit_of_work() as session:
        row = session.get(OutboxEvent, event_id, with_for_update=True)
        if row is None:
            raise NotFound(f"there is no event {event_id}")
        check_officer(_definition(engine, session, row.cycle_id), actor, "events")
        if row.failed_at is None:
            raise InvalidInput(f"event {event_id} has not failed; only a failed event is retried")
        row.failed_at, row.failures, row.dispatched_at, row.next_attempt_at = None, 0, None, wall_clock()
        session.flush()
        session.expunge(row)
        return row


def event_status(row: OutboxEvent) -> str:
    """pending (not yet published), dispatched (published, not handled), handled, retrying or failed."""
    if row.handled_at is not None:
        return "handled"
    if row.failed_at is not None:
        return "failed"
    if row.failures:
        return "retrying"
    return "dispatched" if row.dispatched_at is not None else "pending"
