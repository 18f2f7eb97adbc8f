"""Each set of outbox handlers decides for itself which events nothing wants: two sets in one process
(a relay for the mail, another for the deadlines) never take each other's answer, and a handler
registered after the first event is honoured from the next one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflow.app import App
from workflow.store.models import OutboxEvent
from workflow.store.outbox import Handlers

STRATEGY = "community_safety_strategy"
MANAGER = "head_of_partnerships"


def deliver(app: App, handlers: Handlers) -> list[str]:
    """Hand every unhandled event to `handlers`; the names of the handlers that ran."""
    with app.engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))
                                  .order_by(OutboxEvent.id)).all()
    assert pending, "starting a cycle records events"
    ran = [name for event_id in pending for name in handlers.handle(app.engine, event_id)]
    with app.engine.sessions() as session:
        assert session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all() == []
    return ran


def test_two_handler_sets_each_mark_their_own_unwanted_events(app: App) -> None:
    seen: list[tuple[str, Any]] = []
    planner, idle = Handlers(), Handlers()
    planner.on("StageEntered", "planner", lambda session, event, now: seen.append(("planner", event.cycle_id)))

    first = app.engine.start(STRATEGY, 2026, MANAGER).cycle
    assert deliver(app, idle) == []  # nothing here wants a stage entered: marked handled, no handler run
    second = app.engine.start(STRATEGY, 2027, MANAGER).cycle
    assert deliver(app, planner) == ["planner"]  # the other set, in the same process, still runs its handler
    idle.on("StageEntered", "late", lambda session, event, now: seen.append(("late", event.cycle_id)))
    third = app.engine.start(STRATEGY, 2028, MANAGER).cycle
    assert deliver(app, idle) == ["late"]  # registered after its first event, and honoured from the next

    with app.engine.sessions() as session:
        ids = {app.engine.cycle_id(session, key): key for key in (first, second, third)}
    assert [(name, ids[cycle]) for name, cycle in seen] == [("planner", second), ("late", third)]
