"""The outbox: publishing committed events to the workers, and handling each one once.

The database is the record; the broker is only a doorbell. The relay claims
unhandled rows, publishes them and marks them dispatched. A row dispatched but
not handled after `redeliver_after` (real time: a lost task, a broker that
forgot its queue) is published again. Every handler runs in its own
transaction together with an `effects` row keyed on (handler, event), so a
redelivered or duplicated event does its work once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from .engine import Engine
from .models import Effect, OutboxEvent

log = logging.getLogger(__name__)

Publish = Callable[[int, str], None]
Handler = Callable[..., object]
"""(session, event, now), or with `prepare`: (session, event, now, prepared)."""
Prepare = Callable[[int], Any]
"""Slow work done outside the write transaction (rendering), its result handed to the handler."""


def wall_clock() -> dt.datetime:
    """Delivery bookkeeping runs on real time, whatever simulated time the cycles are on."""
    return dt.datetime.now(dt.UTC)


def relay(engine: Engine, publish: Publish, *, limit: int = 500, redeliver_after: float = 300.0) -> int:
    """Publish up to `limit` unhandled events; returns how many were published.

    Rows are locked (SKIP LOCKED on PostgreSQL) so two relays never publish the same row
    at once. Publishing happens before the commit that marks the rows: a relay that
    dies in between causes a redelivery, which the handlers absorb.
    """
    now = wall_clock()
    stale = now - dt.timedelta(seconds=redeliver_after)
    with engine.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.handled_at.is_(None))
            .where(or_(OutboxEvent.dispatched_at.is_(None), OutboxEvent.dispatched_at < stale))
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            publish(row.id, row.event_type)
            row.dispatched_at = now
            row.attempts += 1
        return len(rows)


@dataclass
class Handlers:
    """Which handlers run for which event type, by name (the name keys their effects)."""

    by_type: dict[str, list[tuple[str, Handler, Prepare | None]]] = field(default_factory=dict)

    def on(self, event_type: str, name: str, handler: Handler, *, prepare: Prepare | None = None) -> None:
        self.by_type.setdefault(event_type, []).append((name, handler, prepare))

    def handle(self, engine: Engine, event_id: int) -> list[str]:
        """Run every handler of the event that has not yet run; returns the names that ran now."""
        ran: list[str] = []
        with engine.sessions() as session:
            event = session.get(OutboxEvent, event_id)
            if event is None:
                log.warning("event %s is not in the outbox; nothing to do", event_id)
                return ran
            if event.handled_at is not None:
                return ran
            event_type = event.event_type
        for name, handler, prepare in self.by_type.get(event_type, []):
            if self._run_once(engine, event_id, name, handler, prepare):
                ran.append(name)
                log.info("event %s (%s): %s done", event_id, event_type, name)
        with engine.unit_of_work() as session:
            event = session.get(OutboxEvent, event_id)
            if event is not None and event.handled_at is None:
                event.handled_at = wall_clock()
        return ran

    @staticmethod
    def _run_once(engine: Engine, event_id: int, name: str, handler: Handler, prepare: Prepare | None) -> bool:
        key = f"{name}:{event_id}"
        extra: tuple[Any, ...] = ()
        if prepare is not None:
            with engine.sessions() as session:
                if session.get(Effect, key) is not None:
                    return False
            extra = (prepare(event_id),)
        try:
            with engine.unit_of_work() as session:
                if session.get(Effect, key) is not None:
                    return False
                # Claim the effect first: a concurrent duplicate blocks here, then fails, and does nothing.
                session.add(Effect(key=key, event_id=event_id, created_at=wall_clock()))
                session.flush()
                event = session.get(OutboxEvent, event_id)
                assert event is not None
                handler(session, event, engine.clock.now(), *extra)
                return True
        except IntegrityError:
            log.info("effect %s was already done by another worker", key)
            return False
