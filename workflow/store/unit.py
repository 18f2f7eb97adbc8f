"""The unit of work: what every command and read runs against, and its one-transaction scope.

`Store` holds the database sessions, the definition catalog, the paper files, the compiled
machines and the clock; `workflow.engine.Engine` is a `Store` with the commands and reads as
methods. Lower layers (the outbox, deadlines, tallies) take a `Store`, so they never import the
engine that sits above them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from workflow.definition.machine import MachineCache
from workflow.errors import Busy, ConcurrentChange
from workflow.store.attachment import MAX_PAPER_BYTES
from workflow.store.audit_seal import Sealer
from workflow.store.audit_seal import install as install_sealer
from workflow.store.catalog import Catalog
from workflow.store.db import WRITE_OPTION, waited_too_long
from workflow.store.models import Cycle
from workflow.store.paper_store import PaperStore

CONCURRENT_CHANGE = ("the cycle changed while your command was running (someone else acted on it at the same "
                     "moment); nothing was written: check 'cycle status' and try again")
CYCLE_BUSY = "the cycle is busy with another change; nothing was written: try again in a moment"
"""PostgreSQL: the command waited its `lock_wait` (CYCLE_LOCK_WAIT) for a row another transaction holds."""
DATABASE_BUSY = "the database is busy with another change; nothing was written: try again in a moment"
"""The embedded database: its one write lock was held past SQLite's busy timeout (30 s)."""


CYCLE_LOCK = {"key_share": True}
"""`FOR NO KEY UPDATE`: the lock an UPDATE of a cycle's row takes, and the one the history chain's trigger takes
(migration 0009d). A transaction writing for a cycle takes it first, before inserting anything that refers to
the cycle: that insert's foreign key takes `FOR KEY SHARE`, and a transaction holding it that later waits for the
cycle's lock is how a worker and a command deadlocked."""


def cycle_for_writing(session: Session, cycle_id: int) -> Cycle | None:
    """The cycle, its row locked as every writer of one cycle locks it (`CYCLE_LOCK`), or None if it is gone.

    Read again with the lock even when the session holds the row already: what the caller then checks is
    what no one else can change before it commits. Call it before changing the row in this session."""
    return session.get(Cycle, cycle_id, with_for_update=CYCLE_LOCK, populate_existing=True)


class Now(Protocol):
    """The clock as storage sees it (`workflow.time.clock.Clock` is one): where "now" comes from."""

    def now(self) -> dt.datetime: ...


class Store:
    def __init__(
        self, *, sessions: sessionmaker[Session], catalog: Catalog, clock: Now, papers: PaperStore,
        machines: MachineCache | None = None, max_paper_bytes: int = MAX_PAPER_BYTES, sealer: Sealer | None = None,
    ) -> None:
        self.sessions = sessions
        self.max_paper_bytes = max_paper_bytes
        self.catalog = catalog
        self.clock = clock
        self.papers = papers
        self.machines = machines or MachineCache()
        # The operating-system account running the command line, kept in each history row it writes.
        self.operator: str | None = None
        # With an audit key, every history row is sealed: here for the fire path, by the session for the rest.
        self.sealer = sealer
        if sealer is not None:
            install_sealer(sessions, sealer)

    @cached_property
    def on_postgresql(self) -> bool:
        """Whether the sessions' database is PostgreSQL (else SQLite): the one place that asks, so every statement
        or shortcut that exists on one of them only is chosen the same way."""
        bind = self.sessions.kw.get("bind")
        return bind is not None and bind.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction; a lost optimistic check becomes a sentence for the user."""
        session = self.sessions()
        try:
            with _said(), session.begin():
                session.connection(execution_options={WRITE_OPTION: True})
                yield session
        finally:
            session.close()

    @contextmanager
    def core_unit(self) -> Iterator[Connection]:
        """`unit_of_work` on a bare connection, for bookkeeping that makes no ORM object (the outbox's marks):
        a session would cost more than the statement it runs."""
        bind = self.sessions.kw["bind"]
        with bind.connect() as connection, _said(), connection.execution_options(**{WRITE_OPTION: True}).begin():
            yield connection


@contextmanager
def _said() -> Iterator[None]:
    """A lost optimistic check, or a lock waited for too long, as a sentence for the user."""
    try:
        yield
    except StaleDataError:
        raise ConcurrentChange(CONCURRENT_CHANGE) from None
    except OperationalError as exc:
        if waited_too_long(exc):
            raise Busy(CYCLE_BUSY) from None
        if "locked" in str(exc).lower():
            raise Busy(DATABASE_BUSY) from None
        raise
