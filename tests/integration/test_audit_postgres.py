"""The audit trail on PostgreSQL: append-only for everyone, and an application role that owns nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from tests.conftest import DEFINITIONS, make_settings
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from tests.test_audit import agenda_change_and_post
from workflow.app import App, build
from workflow.cli import main
from workflow.store.audit import verify_history
from workflow.time.clock import SimulatedClock, at_local

TABLES = ("history", "decisions", "decision_attendees", "papers", "documents", "definitions", "agenda_changes",
          "case_letter_posts")


@pytest.fixture
def trail(pg_app: App, tmp_path: Path) -> App:
    # The whole trail on the day MK Together meets: a decision is recorded for a meeting held.
    pg_app.engine.clock.set(at_local(dt.date(2021, 7, 13), 10))  # type: ignore[attr-defined]
    pg_app.engine.start("community_safety_strategy", 2021, AUTHOR)
    pg_app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR, comment="first draft")
    carry(pg_app, "mk_together", "early_findings")
    agenda_change_and_post(pg_app)
    return pg_app


def _cli(pg_url: str, *args: str) -> tuple[int, str]:
    env = {"CYCLE_DATABASE_URL": pg_url, "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_owner_and_superuser_cannot_rewrite_the_audit_tables(trail: App) -> None:
    for table in TABLES:
        statements = [f"TRUNCATE {table} CASCADE"]
        if table != "documents":  # no document is made without the workers; the row triggers need a row
            statements += [f"UPDATE {table} SET id = id", f"DELETE FROM {table}"]
        for statement in statements:
            with trail.database.begin() as connection, pytest.raises(DatabaseError, match="append-only"):
                connection.execute(text(statement))
    with trail.database.begin() as connection, pytest.raises(DatabaseError, match="append-only"):
        connection.execute(text("INSERT INTO papers SELECT * FROM papers ON CONFLICT (id) DO UPDATE SET title = 'x'"))
    assert trail.engine.history(CYCLE)[0]["actor"] == AUTHOR


def test_the_chain_verifies_and_a_rewritten_row_is_found(trail: App, pg_url: str) -> None:
    code, output = _cli(pg_url, "history", "verify", CYCLE)
    with trail.database.connect() as connection:
        head = connection.execute(text("SELECT hash FROM history WHERE id = 3")).scalar_one()
    assert (code, output.splitlines()) == (0, [f"cycle {CYCLE}: 3 rows, last row 3, hash {head}; no row sealed",
                                               "✓ 3 history rows in 1 cycle(s) match their hash chain"])
    # Someone who owns the tables turns the trigger off and back-dates the start.
    with trail.database.begin() as connection:
        connection.execute(text("ALTER TABLE history DISABLE TRIGGER history_append_only"))
        connection.execute(text("UPDATE history SET at = '2001-01-01T00:00:00Z' WHERE id = 1"))
        connection.execute(text("ALTER TABLE history ENABLE TRIGGER history_append_only"))
    code, output = _cli(pg_url, "history", "verify")
    assert code == 1
    assert f"cycle {CYCLE}: history row 1 does not match its hash" in output
    with trail.engine.sessions() as session:
        assert [b.row for b in verify_history(trail.engine, session).broken] == [1]


@pytest.fixture
def app_role(pg_url: str) -> Iterator[str]:
    """A login role that owns nothing, as production runs the application."""
    name = f"cycle_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN"))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP OWNED BY {name}"))
            connection.execute(text(f"DROP ROLE {name}"))
        admin.dispose()


def test_the_application_role_can_run_a_cycle_but_not_rewrite_it(
    pg_app: App, pg_url: str, app_role: str, tmp_path: Path, clock: SimulatedClock
) -> None:
    assert _cli(pg_url, "db", "grant", "--app-role", app_role)[0] == 0
    as_app = make_url(pg_url).set(username=app_role).render_as_string(hide_password=False)
    app = build(make_settings(tmp_path / "app", as_app), clock=clock)
    try:
        app.engine.start("community_safety_strategy", 2021, AUTHOR)
        app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
        carry(app, "mk_together", "early_findings")
        app.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
        assert [h["action"] for h in app.engine.history(CYCLE)] == ["start", "attach", "decide", "fire"]
        refusals = {
            "TRUNCATE history": "permission denied",
            "TRUNCATE cycles CASCADE": "permission denied",
            "UPDATE decisions SET outcome = 'lost'": "permission denied",
            "DELETE FROM papers": "permission denied",
            "UPDATE agenda_changes SET data = '{}'": "permission denied",
            "DELETE FROM agenda_changes": "permission denied",
            "UPDATE case_letter_posts SET posted_on = '2021-01-01'": "permission denied",
            "DELETE FROM case_letter_posts": "permission denied",
            "ALTER TABLE history DISABLE TRIGGER ALL": "must be owner",
            "DROP TRIGGER history_append_only ON history": "must be owner",
        }
        for statement, reason in refusals.items():
            with app.database.begin() as connection, pytest.raises(DatabaseError, match=reason):
                connection.execute(text(statement))
        with app.engine.sessions() as session:
            assert verify_history(app.engine, session).broken == []
    finally:
        app.close()


def test_grant_refuses_a_role_that_owns_the_tables(pg_app: App, pg_url: str) -> None:
    code, output = _cli(pg_url, "db", "grant", "--app-role", "postgres")
    assert code == 1
    assert "'postgres' owns tables of this database" in output


@pytest.fixture
def live_url(pg_url: str) -> Iterator[str]:
    """A second database of this run, upgraded as production would be: not a rehearsal's."""
    from workflow.store import db

    server = make_url(pg_url)
    name = f"{server.database}_live"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_live_database_takes_time_from_its_own_clock(live_url: str, tmp_path: Path) -> None:
    import dataclasses
    import datetime as dt

    from workflow.store.db import NotARehearsal

    settings = make_settings(tmp_path, live_url)
    for simulated in ({"shared_clock": True}, {"frozen_now": dt.datetime(2001, 1, 1, tzinfo=dt.UTC)}):
        with pytest.raises(NotARehearsal, match="is for rehearsals, and this database records live time"):
            build(dataclasses.replace(settings, **simulated))
    code, output = _cli(live_url, "clock", "set", "2099-01-01T00:00")
    assert code == 1 and "records live time from its own clock" in output
    app = build(settings)
    try:
        year = dt.date.today().year
        app.engine.start("community_safety_strategy", year, AUTHOR)
        with app.database.connect() as connection:
            # One server time for everything a command writes: a record made for its event finds its history.
            started = connection.execute(text("SELECT at FROM history WHERE id = 1")).scalar_one()
            events = connection.execute(text("SELECT DISTINCT created_at FROM outbox")).scalars().all()
        assert events == [started]
        with app.database.begin() as connection:
            # A client that claims other times is overruled by the server's clock.
            connection.execute(text("INSERT INTO history (cycle_id, at, actor, action, data, rehearsal) "
                                    "VALUES (1, '2099-01-01T00:00:00Z', 'mallory', 'note', '{}', true)"))
            connection.execute(text(
                "INSERT INTO decisions (cycle_id, board, item, outcome, resolution, meeting_date, votes_for, "
                "votes_against, abstentions, voting_present, quorum, recorded_by, recorded_at, details, rehearsal) "
                "VALUES (1, 'b', 'i', 'carried', 'r', '2001-01-01', 1, 0, 0, 1, 1, 'mallory', "
                "'2001-01-01T00:00:00Z', '{}', true)"))
            server_now = connection.execute(text("SELECT now()")).scalar_one()
            rows = connection.execute(text("SELECT at, rehearsal FROM history ORDER BY id")).all()
            decision = connection.execute(text("SELECT recorded_at, rehearsal FROM decisions")).one()
        for at, rehearsal in [*rows, decision]:
            assert abs(at - server_now) < dt.timedelta(minutes=1) and rehearsal is False
        agenda_change_and_post(app)  # each claiming 1 July 2021
        with app.database.connect() as connection:
            stamped = [connection.execute(text("SELECT at FROM agenda_changes")).scalar_one(),
                       connection.execute(text("SELECT recorded_at FROM case_letter_posts")).scalar_one()]
        assert all(abs(at - server_now) < dt.timedelta(minutes=1) for at in stamped), stamped
        with app.engine.sessions() as session:
            assert verify_history(app.engine, session).broken == []
    finally:
        app.close()
    code, output = _cli(live_url, "db", "upgrade", "--rehearsal")
    assert code == 1 and "already holds a live history" in output


def test_rehearsal_rows_keep_simulated_time_and_say_so(trail: App) -> None:
    with trail.database.connect() as connection:
        rows = connection.execute(text("SELECT at, rehearsal FROM history ORDER BY id")).all()
        decisions = connection.execute(text("SELECT recorded_at, rehearsal FROM decisions")).all()
    simulated = trail.engine.clock.now()
    assert [(at, mark) for at, mark in rows] == [(simulated, True)] * 3
    assert [(at, mark) for at, mark in decisions] == [(simulated, True)]
