"""The outbox: publishing committed events to the workers, and handling each one once.

The database is the record; the broker is only a doorbell. The relay claims
unhandled rows, publishes them and marks them dispatched. A row dispatched but
not handled after `redeliver_after` (real time: a lost task, a broker that
forgot its queue) is published again. Every handler runs in its own
transaction together with an `effects` row keyed on (handler, event), so a
redelivered or duplicated event does its work once.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, Table, Update, bindparam, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, make_transient_to_detached

from workflow.errors import ConcurrentChange
from workflow.store.backoff import Backoff, describe
from workflow.store.models import Base, Effect, OutboxEvent
from workflow.store.unit import Store

log = logging.getLogger(__name__)

Publish = Callable[[int, str], None]
Handler = Callable[..., object]
"""(session, event, now), or with `prepare`: (session, event, now, prepared)."""
Prepare = Callable[[int], Any]
"""Slow work done outside the write transaction (rendering), its result handed to the handler."""

# Core statements built once: the worker runs them for every event, and reads nothing back as ORM objects.
OUTBOX: Table = Base.metadata.tables["outbox"]
EFFECTS: Table = Base.metadata.tables["effects"]
# `handled_at IS NULL` is the predicate of the partial index ix_outbox_pending, written as SQL, not a parameter.
# A row whose handler raised waits for its `next_attempt_at`; one that gave up (`failed_at`) waits for an officer.
UNPUBLISHED = (select(OUTBOX.c.id, OUTBOX.c.event_type)
               .where(OUTBOX.c.handled_at.is_(None), OUTBOX.c.id > bindparam("after"),
                      or_(OUTBOX.c.dispatched_at.is_(None), OUTBOX.c.dispatched_at < bindparam("stale")),
                      OUTBOX.c.failed_at.is_(None),
                      or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= bindparam("now")))
               .order_by(OUTBOX.c.id)
               .limit(bindparam("batch"))
               .with_for_update(skip_locked=True))
# SET dispatched_at takes the value given at execution.
MARK_DISPATCHED = (update(OUTBOX).where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
                   .values(attempts=OUTBOX.c.attempts + 1))
EVENT = select(OUTBOX).where(OUTBOX.c.id == bindparam("event_id"))
# SET handled_at takes the value given at execution; a row handled already is left as it is.
MARK_HANDLED = update(OUTBOX).where(OUTBOX.c.id == bindparam("event_id"), OUTBOX.c.handled_at.is_(None))


def mark_unwanted(wanted: tuple[str, ...]) -> Update:
    """MARK_HANDLED for an event of a type none of `wanted` is: most types, marked handled without being read.

    One plain parameter per wanted type: an expanding `NOT IN` list was rewritten into the SQL text again at
    every execution, a tenth of the worker's cost for such an event. `Handlers.unwanted` builds it once.
    """
    return MARK_HANDLED.where(*(OUTBOX.c.event_type != bindparam(f"wanted_{i}") for i in range(len(wanted))))


INSERT_EFFECT = insert(EFFECTS)
NO_FLUSH_WAIT = text("SET LOCAL synchronous_commit = off")


def bookkeeping(store: Store, connection: Connection) -> None:
    """Commit this transaction without waiting for its WAL flush (PostgreSQL), for delivery marks only.

    A mark lost with the last moments of a database crash costs a redelivery, which the handlers
    absorb (their `effects` rows and work commit in transactions of their own, always flushed).
    Waiting for the flush was most of what an event with no handlers cost the worker.
    """
    if store.on_postgresql:
        connection.execute(NO_FLUSH_WAIT)


def wall_clock() -> dt.datetime:
    """Delivery bookkeeping runs on real time, whatever simulated time the cycles are on."""
    return dt.datetime.now(dt.UTC)


def relay(engine: Store, publish: Publish, *, limit: int = 500, batch: int = 100,
          redeliver_after: float = 300.0) -> int:
    """Publish up to `limit` unhandled events, `batch` to a transaction; returns how many were published.

    Each batch's rows are locked (SKIP LOCKED on PostgreSQL) so two relays never publish the same
    row at once, published, and then marked dispatched by the commit: a relay that dies in between
    causes a redelivery, which the handlers absorb. Small batches keep those locks short, so a worker
    marking one of the rows handled waits for one batch's publishing, not for `limit` events'.
    """
    if batch < 1:
        raise ValueError("the relay's batch must be at least one row")
    stale = wall_clock() - dt.timedelta(seconds=redeliver_after)
    published = after = 0
    while published < limit:
        size = min(batch, limit - published)
        with engine.unit_of_work() as session:
            connection = session.connection()
            rows = connection.execute(UNPUBLISHED, {"after": after, "stale": stale, "batch": size,
                                                    "now": wall_clock()}).all()
            for event_id, event_type in rows:
                publish(event_id, event_type)
            if rows:
                connection.execute(MARK_DISPATCHED, {"ids": [row.id for row in rows], "dispatched_at": wall_clock()})
        published += len(rows)
        if len(rows) < size:
            break
        after = rows[-1].id  # this call goes on past its own batches, never back over them
    return published


@dataclass
class Handlers:
    """Which handlers run for which event type, by name (the name keys their effects)."""

    by_type: dict[str, list[tuple[str, Handler, Prepare | None]]] = field(default_factory=dict)
    backoff: Backoff = field(default_factory=Backoff)
    # `mark_unwanted` for these handlers' types and its parameters: built at the first event after a handler
    # is registered, then reused for every event (most are unwanted). Each Handlers has its own, so two relays
    # of one process with different handlers each mark what they, not the other, leave unhandled.
    _unwanted: tuple[Update, dict[str, str]] | None = field(default=None, init=False, repr=False, compare=False)

    def on(self, event_type: str, name: str, handler: Handler, *, prepare: Prepare | None = None) -> None:
        self.by_type.setdefault(event_type, []).append((name, handler, prepare))
        self._unwanted = None  # the set of wanted types may have grown

    def unwanted(self) -> tuple[Update, dict[str, str]]:
        """The statement that marks an event handled when no handler here wants its type, and its parameters
        (add `event_id` and `handled_at`)."""
        if self._unwanted is None:
            wanted = tuple(self.by_type)
            self._unwanted = (mark_unwanted(wanted),
                              {f"wanted_{i}": event_type for i, event_type in enumerate(wanted)})
        return self._unwanted

    def handle(self, engine: Store, event_id: int) -> list[str]:
        """Run every handler of the event that has not yet run; returns the names that ran now."""
        ran: list[str] = []
        with engine.core_unit() as connection:
            bookkeeping(engine, connection)
            statement, wanted = self.unwanted()
            if connection.execute(statement, {"event_id": event_id, "handled_at": wall_clock(), **wanted}).rowcount:
                return ran  # nothing listens to it: handled, in one statement
            event = connection.execute(EVENT, {"event_id": event_id}).first()
            if event is None:
                log.warning("event %s is not in the outbox; nothing to do", event_id)
                return ran
            if event.handled_at is not None:
                return ran
        for name, handler, prepare in self.by_type.get(event.event_type, []):
            try:
                done = self._run_once(engine, event, name, handler, prepare)
            except (OperationalError, ConcurrentChange):
                raise  # not this event's fault: the task retries it
            except Exception as exc:  # any other failure is this event's alone
                self._failed(engine, event, name, exc)
                return ran
            if done:
                ran.append(name)
                log.info("event %s (%s): %s done", event_id, event.event_type, name)
        with engine.core_unit() as connection:
            bookkeeping(engine, connection)
            connection.execute(MARK_HANDLED, {"event_id": event_id, "handled_at": wall_clock()})
        return ran

    def _failed(self, engine: Store, event: Row[Any], name: str, error: Exception) -> None:
        """Record a handler's failure on the event: tried again after a backoff, or set aside after the bound."""
        with engine.unit_of_work() as session:
            row = session.get(OutboxEvent, event.id, with_for_update=True)
            if row is None or row.handled_at is not None:
                return
            row.failures += 1
            row.last_error = f"{name}: {describe(error)}"
            row.dispatched_at = None
            if self.backoff.gives_up(row.failures):
                row.failed_at, row.next_attempt_at = wall_clock(), None
                log.error("event %s (%s) failed %d times and is set aside: %s; an officer can retry it with "
                          "'cycle events retry %s'", row.id, row.event_type, row.failures, row.last_error, row.id)
            else:
                row.next_attempt_at = wall_clock() + self.backoff.delay(row.failures)
                log.warning("event %s (%s): %s; trying again at %s", row.id, row.event_type, row.last_error,
                            row.next_attempt_at)

    @staticmethod
    def _run_once(engine: Store, event: Row[Any], name: str, handler: Handler, prepare: Prepare | None) -> bool:
        key = f"{name}:{event.id}"
        extra: tuple[Any, ...] = ()
        if prepare is not None:
            # Done already? Then do not render again.
            with engine.sessions() as session:
                if session.get(Effect, key) is not None:
                    return False
            extra = (prepare(event.id),)
        try:
            with engine.unit_of_work() as session:
                # Claim the effect first: a duplicate, done already or being done by a concurrent delivery
                # (which this waits for), fails here with IntegrityError and does nothing.
                session.connection().execute(INSERT_EFFECT, {"key": key, "event_id": event.id,
                                                             "created_at": wall_clock()})
                handler(session, _attached(session, event), engine.clock.now(), *extra)
                return True
        except IntegrityError:
            log.info("effect %s was done already (a redelivery, or another worker)", key)
            return False


def _attached(session: Session, row: Row[Any]) -> OutboxEvent:
    """The event as a persistent object of `session`, made from the row read once per delivery, not read again."""
    values = dict(row._mapping)
    values["payload"] = copy.deepcopy(values["payload"])  # each handler its own, as if loaded
    event = OutboxEvent(**values)
    make_transient_to_detached(event)  # as if loaded: every attribute committed, nothing to flush
    session.add(event)
    return event
