"""What the document benchmark builds: the shipped cycle played to each document's event, and its measures."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import io
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select, text

from bench.harness import temporary_database
from notifications.documents import Documents
from workflow.app import App
from workflow.definition.model import Definition, DocumentSpec
from workflow.player import Player
from workflow.store.models import Cycle, OutboxEvent
from workflow.time.clock import SimulatedClock, at_local

SHIPPED = "community_safety_strategy"
YEAR = 2021
START = at_local(dt.date(YEAR, 7, 1), 9)
FORMATS = ("html", "pdf", "docx")


@dataclass(frozen=True)
class Target:
    label: str
    trigger: str  # the transition whose GatePassed event makes the document
    spec: str  # the document kind


TARGETS = (
    Target("sign-off record, Risk Board signs off the strategic assessment", "sign_off_assessment",
           "sign_off_record"),
    Target("adoption pack, Safer MK adopts the strategy", "adopt_strategy", "strategy_pack"),
)


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float


def timed(work: Callable[[], Any]) -> tuple[Any, Sample]:
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    result = work()
    wall = time.perf_counter() - t0
    return result, Sample(wall, time.process_time() - cpu0)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:,.1f}"


def rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


# -- the database --------------------------------------------------------------------------


@contextmanager
def database(server_url: str | None, work_dir: Path) -> Iterator[str]:
    """An embedded SQLite file in the work folder, or a scratch database on a PostgreSQL server."""
    if server_url is None:
        yield f"sqlite:///{work_dir / 'cycle.db'}"
        return
    with temporary_database(server_url, "documents") as url:
        yield url.render_as_string(hide_password=False)


def database_facts(app: App) -> str:
    url = app.database.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}, embedded, in the temporary folder"
    with app.database.connect() as connection:
        server_version = connection.execute(text("SHOW server_version")).scalar_one()
    return f"PostgreSQL {server_version} at {url.host}:{url.port}, scratch database {url.database}"


# -- the cycle -----------------------------------------------------------------------------


@dataclass
class Prepared:
    """A document ready to make: its definition, spec, context and the event it comes from."""

    target: Target
    event_id: int
    definition: Definition
    spec: DocumentSpec
    ctx: dict[str, Any]
    created: dt.datetime
    context_samples: list[Sample] = field(default_factory=list)


def play_to_adoption(app: App, clock: SimulatedClock, work_dir: Path) -> str:
    engine = app.engine
    definition = engine.catalog.load(SHIPPED)
    author = next(p.id for p in definition.people.values() if set(p.roles) & set(definition.permissions["start"]))
    key = engine.start(SHIPPED, YEAR, author).cycle
    # The Player writes its papers to a tempfile.mkdtemp() folder and leaves it behind: keep
    # that folder inside the work folder, which is removed at the end.
    saved, tempfile.tempdir = tempfile.tempdir, str(work_dir)
    try:
        Player(engine, clock, definition, key, YEAR).play()
    finally:
        tempfile.tempdir = saved
    status = engine.status(key)
    if status.stage != "adopted":
        raise RuntimeError(f"the player stopped at '{status.stage}', not at adoption")
    return key


def gate_events(app: App) -> dict[str, int]:
    with app.engine.sessions() as session:
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "GatePassed")
                                 .order_by(OutboxEvent.id))
        return {e.payload["trigger"]: e.id for e in events}


def prepare(app: App, documents: Documents, target: Target, event_id: int, rounds: int) -> Prepared:
    """Build the context once, as the handler does, and time that build over the rounds."""
    engine = app.engine
    with engine.sessions() as session:
        event = session.get(OutboxEvent, event_id)
        assert event is not None
        cycle = session.get(Cycle, event.cycle_id)
        assert cycle is not None
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        spec = definition.documents[target.spec]
        if target.spec not in event.payload.get("documents", []):
            raise RuntimeError(f"the {target.trigger} event names no '{target.spec}' document")

        def build_context() -> dict[str, Any]:
            return documents.context(session, cycle, definition, spec, event.payload, event.created_at,
                                     exempt=False)

        ctx = build_context()
        samples = []
        for _ in range(rounds):
            session.expire_all()  # read the rows again each time, as a fresh handler would
            samples.append(timed(build_context)[1])
        return Prepared(target, event_id, definition, spec, ctx, event.created_at, samples)
