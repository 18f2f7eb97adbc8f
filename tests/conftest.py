"""Shared fixtures: an embedded engine for unit tests, a real PostgreSQL database for integration tests."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.parallel import OneSiteScheduling
from workflow.app import App, build
from workflow.settings import Settings
from workflow.store.db import normalise_url
from workflow.time.clock import SimulatedClock, at_local

REPO = Path(__file__).resolve().parent.parent
DEFINITIONS = REPO / "definitions"
SHIPPED = "community_safety_strategy"
SHIPPED_VERSION = int(re.search(r"^version: (\d+)$", (DEFINITIONS / f"{SHIPPED}.yaml").read_text(encoding="utf-8"),
                                re.MULTILINE)[1])  # type: ignore[index]
"""The version of the shipped definition as it is in the folder; tests that raise it raise it from this."""
ALL_TABLES = ("minutes_approvals, minutes_versions, minute_numbers, case_fields, idempotency_keys, sign_in_attempts, account_links, api_tokens, web_sessions, accounts, "
              "decision_attendees, decisions, documents, papers, mail, outbox, strands, history, deadlines, effects, "
              "simulated_clock, heartbeats, refusal_counts, panel_members, instance_sequences, case_letter_posts, case_letters, case_contacts, agenda_changes, erased_files, cycles, definitions, stored_chunks, stored_files")
# database_marks is left out: a test database is a rehearsal database for its whole life.
# Argon2 at its cheapest for the accounts `cycle users` makes in the tests: the suite signs in hundreds
# of times. Only here; the product's default is the standard cost (web.config.WebSettings.password_cost).
os.environ.setdefault("CYCLE_PASSWORD_COST", "test")
TEST_SERVER = os.environ.get("CYCLE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def first_version(path: Path) -> None:
    """Make the definition at `path` its version 1, for a test that saves a version 2 beside it."""
    path.write_text(re.sub(r"^version: \d+$", "version: 1", path.read_text(encoding="utf-8"), count=1, flags=re.M),
                    encoding="utf-8")


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> OneSiteScheduling | None:
    """With `-n`, the browser tests in one process (tests/parallel.py)."""
    return OneSiteScheduling(config, log) if config.getvalue("dist") == "loadgroup" else None


@pytest.fixture(scope="session", autouse=True)
def own_data_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A command run without CYCLE_DATA_DIR lands in this test process's own folder, never in the user's
    ~/.local/share/strategy-cycle (nor in a folder another process of a parallel run writes)."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data-home"))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(at_local(dt.date(2021, 7, 1), 9))


def make_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite:///{data_dir / 'cycle.db'}",
        definitions_dir=DEFINITIONS,
    )


@pytest.fixture
def app(tmp_path: Path, clock: SimulatedClock) -> Iterator[App]:
    """An engine on a fresh embedded SQLite database."""
    built = build(make_settings(tmp_path), clock=clock)
    yield built
    built.close()


@contextmanager
def scratch_database(label: str = "test") -> Iterator[str]:
    """A PostgreSQL database made for a run (or a module's own data) and dropped after it.

    Fails, never skips, when the server is unreachable: these tests must run.
    """
    server = make_url(normalise_url(TEST_SERVER))
    name = f"cycle_{label}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is needed at {server.render_as_string(hide_password=True)} for the integration tests "
            f"and could not be used ({exc.__class__.__name__}: {exc}). Start it with 'make services' or point "
            "CYCLE_TEST_DATABASE_URL at another server.",
            pytrace=False,
        )
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database made for this test run and dropped after it."""
    with scratch_database() as url:
        yield url


@pytest.fixture
def pg_app(pg_url: str, tmp_path: Path, clock: SimulatedClock) -> Iterator[App]:
    """An engine on the test run's PostgreSQL database, emptied after each test."""
    from workflow.store import db

    settings = make_settings(tmp_path, pg_url)
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)  # the tests run on simulated clocks
    engine.dispose()
    built = build(settings, clock=clock)
    yield built
    empty_tables(pg_url)
    built.close()


def empty_tables(pg_url: str) -> None:
    """Empty every table, append-only ones too: as the server's superuser, with triggers off for the session."""
    engine = create_engine(normalise_url(pg_url))
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(f"TRUNCATE {ALL_TABLES} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
