"""The composition root: settings in, a ready engine out. Entry points call this."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine as SqlEngine

from .catalog import Catalog
from .clock import Clock, SimulatedClock, SystemClock
from .db import ensure_schema, make_engine, session_factory
from .engine import Engine
from .settings import Settings
from .storage import PaperStore


@dataclass
class App:
    settings: Settings
    database: SqlEngine
    engine: Engine

    def close(self) -> None:
        self.database.dispose()


def default_clock(settings: Settings) -> Clock:
    return SimulatedClock(settings.frozen_now) if settings.frozen_now else SystemClock()


def build(settings: Settings, *, clock: Clock | None = None) -> App:
    database = make_engine(settings.database_url)
    ensure_schema(database, auto_upgrade=settings.embedded)
    engine = Engine(
        sessions=session_factory(database),
        catalog=Catalog(settings.definitions_dir),
        clock=clock or default_clock(settings),
        papers=PaperStore(settings.papers_dir),
    )
    return App(settings, database, engine)
