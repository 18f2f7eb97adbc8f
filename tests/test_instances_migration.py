"""Revision 0007a on a database of yearly cycles: every row as it was, one cycle a year still, cases possible."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import make_settings, scratch_database
from tests.instances_setup import case_app
from workflow.app import App, build
from workflow.reads.audit_report import verify
from workflow.store import db
from workflow.time.clock import SimulatedClock, at_local

AUTHOR = "head_of_partnerships"
CYCLE = "community_safety_strategy-2021"
BEFORE = "0006e_stored_files"
KEPT = ("SELECT id, key, definition_id, definition_version, year, state, status, started_at, started_by, "
        "state_entered_at, updated_at, version FROM cycles ORDER BY id")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cycle.db'}"
        return
    with scratch_database("instances") as url:
        yield url


def yearly_app(tmp_path: Path, url: str) -> App:
    engine = db.make_engine(url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)
    engine.dispose()
    return build(make_settings(tmp_path, url), clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))


def test_a_database_of_yearly_cycles_migrates_unchanged(database_url: str, tmp_path: Path) -> None:
    app = yearly_app(tmp_path, database_url)
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    app.engine.start("community_safety_strategy", 2022, AUTHOR)
    app.close()
    engine = db.make_engine(database_url)
    command.downgrade(db.alembic_config(engine), BEFORE)  # the database as the release before this one left it
    with engine.connect() as connection:
        assert "reference" not in {c["name"] for c in inspect(connection).get_columns("cycles")}
        cycles = connection.execute(text(KEPT)).all()
        others = {table: connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
                  for table in ("history", "strands", "outbox")}
    assert len(cycles) == 2 and others["history"]

    db.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text(KEPT)).all() == cycles
        assert connection.execute(text("SELECT DISTINCT reference FROM cycles")).all() == [(None,)]
        for table, rows in others.items():
            assert connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all() == rows, table
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        indexes = {i["name"]: i for i in inspect(connection).get_indexes("cycles")}
        assert indexes["uq_cycles_yearly"]["unique"]
    with pytest.raises(IntegrityError), engine.begin() as connection:  # still one cycle a year
        connection.execute(text(
            "INSERT INTO cycles (key, definition_id, definition_version, year, state, status, started_at, "
            "started_by, state_entered_at, updated_at, version) SELECT 'copy', definition_id, definition_version, "
            "year, state, status, started_at, started_by, state_entered_at, updated_at, version FROM cycles "
            "WHERE key = :key"), {"key": CYCLE})
    engine.dispose()

    again = build(make_settings(tmp_path, database_url), clock=SimulatedClock(at_local(dt.date(2021, 7, 2), 9)))
    try:
        assert again.engine.status(CYCLE).stage == "early_findings"
        with again.engine.sessions() as session:
            report = verify(again.engine, session, definition_of=lambda d, v: again.engine.catalog.snapshot(session, d, v))
        assert report.as_json()["ok"], report.as_json()
    finally:
        again.close()
    cases = case_app(tmp_path / "cases", database_url)  # and now cases start beside the yearly cycles
    try:
        assert cases.engine.start("cases", None, "officer_a").cycle == "TST-2026-001"
    finally:
        cases.close()


def test_a_downgrade_with_cases_stops_with_a_sentence_and_changes_nothing(database_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)  # a downgrade is refused on any database not marked as a rehearsal's
    engine.dispose()
    cases = case_app(tmp_path, database_url)
    try:
        cases.engine.start("cases", None, "officer_a")
        cases.engine.start("cases", None, "officer_a")
    finally:
        cases.close()
    engine = db.make_engine(database_url)
    try:
        with pytest.raises(CommandError, match=r"^2 cases exist; .* downgrade only with yearly cycles; nothing was "
                                               r"changed$"):
            command.downgrade(db.alembic_config(engine), BEFORE)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT key, reference FROM cycles ORDER BY id")).all() == [
                ("TST-2026-001", "TST-2026-001"), ("TST-2026-002", "TST-2026-002")]
            assert "uq_cycles_yearly" in {i["name"] for i in inspect(connection).get_indexes("cycles")}
    finally:
        engine.dispose()


def test_starts_at_once_on_postgresql_never_share_a_number(tmp_path: Path) -> None:
    with scratch_database("instances") as url:
        engine = create_engine(db.normalise_url(url))
        db.upgrade(engine)
        db.mark_rehearsal(engine)
        engine.dispose()
        apps = [case_app(tmp_path / f"app{n}", url) for n in range(4)]  # four processes' worth of engines
        started: list[str] = []
        errors: list[BaseException] = []
        gate = threading.Barrier(len(apps))

        def start_three(app: App) -> None:
            gate.wait()
            for _ in range(3):
                try:
                    started.append(app.engine.start("cases", 2026, "officer_a").cycle)
                except BaseException as exc:  # reported below
                    errors.append(exc)

        threads = [threading.Thread(target=start_three, args=(app,)) for app in apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for app in apps:
            app.close()
        assert errors == []
        assert sorted(started) == [f"TST-2026-{n:03}" for n in range(1, 13)]
