"""The composition root: settings in, a ready engine out. Entry points call this."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine as SqlEngine

from workflow.engine import Engine
from workflow.settings import Settings
from workflow.store.audit_seal import Sealer
from workflow.store.catalog import Catalog
from workflow.store.db import (
    WRITE_OPTION,
    ensure_schema,
    make_engine,
    require_rehearsal,
    session_factory,
)
from workflow.store.models import SimulatedNow
from workflow.store.paper_store import PaperStore
from workflow.store.stored_files import documents_store, papers_store
from workflow.time.clock import Clock, SharedClock, SimulatedClock, SystemClock


@dataclass
class App:
    settings: Settings
    database: SqlEngine
    engine: Engine

    def documents(self) -> PaperStore:
        """Where generated documents are kept, by CYCLE_STORAGE (papers: `engine.papers`)."""
        return documents_store(self.settings, self.database)

    def close(self) -> None:
        self.database.dispose()


def default_clock(settings: Settings, database: SqlEngine) -> Clock:
    if settings.shared_clock:
        return shared_clock(database)
    return SimulatedClock(settings.frozen_now) if settings.frozen_now else SystemClock()


def shared_clock(database: SqlEngine) -> SharedClock:
    sessions = session_factory(database)

    def read() -> dt.datetime | None:
        with sessions() as session:
            row = session.get(SimulatedNow, 1)
            return row.now if row else None

    def write(when: dt.datetime) -> None:
        with sessions() as session, session.begin():
            session.connection(execution_options={WRITE_OPTION: True})
            row = session.get(SimulatedNow, 1)
            if row is None:
                session.add(SimulatedNow(id=1, now=when))
            else:
                row.now = when

    return SharedClock(read, write)


def build(settings: Settings, *, clock: Clock | None = None, lock_wait: float | None = None) -> App:
    """The engine for people's commands; a worker passes its own `lock_wait` (`Settings.worker_lock_wait`)."""
    database = make_engine(settings.database_url, lock_wait=lock_wait or settings.lock_wait, **settings.engine_options)
    try:
        ensure_schema(database, auto_upgrade=settings.embedded)
        if settings.shared_clock or settings.frozen_now or isinstance(clock, (SimulatedClock, SharedClock)):
            require_rehearsal(database, "CYCLE_CLOCK=shared" if settings.shared_clock else
                              "CYCLE_NOW" if settings.frozen_now else "a simulated clock")
        sealer = Sealer.from_file(settings.audit_key_file) if settings.audit_key_file else None
    except BaseException:
        database.dispose()
        raise
    engine = Engine(
        sessions=session_factory(database),
        catalog=Catalog(settings.definitions_dir, settings.data_dir / "snapshots"),
        clock=clock or default_clock(settings, database),
        papers=papers_store(settings, database),
        max_paper_bytes=settings.max_paper_bytes,
        sealer=sealer,
    )
    return App(settings, database, engine)
