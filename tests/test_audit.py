"""The audit trail on the embedded database: append-only tables, and the history's hash chain."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import OutboxMailer
from tasks.cli import main as tasks_main
from tests.conftest import DEFINITIONS
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from workflow.app import App
from workflow.cli import main
from workflow.store.audit import verify_history
from workflow.store.models import Mail

# One row of each append-only table exists with id 1 after `trail`; each statement tries to rewrite it.
REWRITES = [
    "UPDATE {table} SET id = id",
    "DELETE FROM {table}",
    "REPLACE INTO {table} SELECT * FROM {table} WHERE id = 1",
    "INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE id = 1",
    "INSERT INTO {table} SELECT * FROM {table} WHERE id = 1 ON CONFLICT (id) DO UPDATE SET id = excluded.id",
]
TABLES = ("history", "decisions", "decision_attendees", "papers", "agenda_changes", "case_letter_posts")
AT = "2021-07-01 09:00:00.000000"


def agenda_change_and_post(app: App) -> None:
    """An agenda issued late and a letter marked posted, as rows (their commands are tested with the agenda and
    the letters): the rows someone could otherwise delete, back-date or clear the `late` mark of."""
    with app.database.begin() as connection:
        connection.execute(text(
            "INSERT INTO agenda_changes (id, board, day, seq, kind, item, data, actor, at) VALUES "
            f"(1, 'mk_together', '2021-07-13', 1, 'issue', NULL, '{{\"version\": 1, \"late\": true}}', "
            f"'committee_manager', '{AT}')"))
        connection.execute(text(
            "INSERT INTO case_contacts (id, cycle_id, role, name, address, added_by, added_at) VALUES "
            f"(1, 1, 'family_contact', 'Ann Example', '1 High Street', 'head_of_partnerships', '{AT}')"))
        connection.execute(text(
            "INSERT INTO case_letters (id, key, cycle_id, contact_id, subject, pdf_sha256, created_at) VALUES "
            f"(1, 'reminder:1', 1, 1, 'An update on the review', '{'0' * 64}', '{AT}')"))
        connection.execute(text(
            "INSERT INTO case_letter_posts (id, letter_id, posted_on, posted_by, recorded_at) VALUES "
            f"(1, 1, '2021-07-01', 'head_of_partnerships', '{AT}')"))


@pytest.fixture
def trail(app: App, tmp_path: Path) -> App:
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR, comment="first draft")
    carry(app, "mk_together", "early_findings")
    agenda_change_and_post(app)
    return app


def _count(app: App, table: str) -> int:
    with app.database.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", REWRITES)
def test_append_only_tables_refuse_every_rewrite(trail: App, table: str, statement: str) -> None:
    before = _count(trail, table)
    with trail.database.begin() as connection, pytest.raises(DatabaseError, match="append-only"):
        connection.execute(text(statement.format(table=table)))
    assert _count(trail, table) == before


def test_replace_is_refused_without_the_pragma_too(trail: App) -> None:
    """Another program (the sqlite3 shell) does not set recursive_triggers; REPLACE is still refused."""
    connection = sqlite3.connect(trail.settings.data_dir / "cycle.db")
    connection.create_function("cycle_sha256", 1, lambda value: "0" * 64)  # it cannot even prepare without one
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute("REPLACE INTO history (id, cycle_id, at, actor, action, data) "
                               "VALUES (1, 1, '2001-01-01 00:00:00.000000', 'mallory', 'start', '{}')")
    finally:
        connection.close()
    assert trail.engine.history(CYCLE)[0]["actor"] == AUTHOR


def test_every_history_row_is_chained_and_verifies(trail: App) -> None:
    with trail.engine.sessions() as session:
        report = verify_history(trail.engine, session)
        hashes = [h for (h,) in session.connection().execute(text("SELECT hash FROM history ORDER BY id"))]
    assert (report.cycles, report.rows, report.broken) == (1, 3, [])
    assert all(h and len(h) == 64 for h in hashes) and len(set(hashes)) == len(hashes)


def _tamper(app: App, *statements: str) -> None:
    """What someone with the database file could do: drop the triggers, then edit."""
    connection = sqlite3.connect(app.settings.data_dir / "cycle.db")
    try:
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


@pytest.mark.parametrize(("statement", "row"), [
    ("UPDATE history SET comment = 'nothing to see' WHERE id = 2", 2),
    ("UPDATE history SET at = '2099-01-01 00:00:00.000000' WHERE id = 1", 1),
    ("DELETE FROM history WHERE id = 2", 3),
])
def test_verify_reports_the_first_broken_link(trail: App, tmp_path: Path, statement: str, row: int) -> None:
    _tamper(trail, statement)
    env = {"CYCLE_DATA_DIR": str(trail.settings.data_dir), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    result = CliRunner().invoke(main, ["history", "verify", CYCLE], env=env)
    assert result.exit_code == 1, result.output
    assert f"cycle {CYCLE}: history row {row} does not match its hash" in result.output
    assert "does not match its hash chain" in result.output


def test_verify_passes_an_untouched_trail_from_the_command_line(trail: App) -> None:
    env = {"CYCLE_DATA_DIR": str(trail.settings.data_dir), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    result = CliRunner().invoke(main, ["history", "verify"], env=env)
    assert result.exit_code == 0, result.output
    assert "3 history rows in 1 cycle(s) match their hash chain" in result.output


def _alter_paper(app: App) -> None:
    with app.database.connect() as connection:
        digest = connection.execute(text("SELECT sha256 FROM papers WHERE id = 1")).scalar_one()
    app.engine.papers.path_for(digest).write_bytes(b"A different paper, under the old name.\n")


def test_documents_verify_reports_a_paper_changed_on_disk(trail: App) -> None:
    env = {"CYCLE_DATA_DIR": str(trail.settings.data_dir), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    assert CliRunner().invoke(tasks_main, ["documents", "verify"], env=env).exit_code == 0
    _alter_paper(trail)
    result = CliRunner().invoke(tasks_main, ["documents", "verify"], env=env)
    assert result.exit_code == 1
    assert "paper 1 (early_findings, cycle 1): the file now hashes to" in result.output


def test_delivery_never_sends_a_paper_whose_bytes_changed(trail: App) -> None:
    now = trail.engine.clock.now()
    with trail.engine.unit_of_work() as session:
        row = Mail(key="k1", cycle_id=1, kind="reminder", person="fire_group_commander",
                   recipient="fire.commander@example.org", subject="S", text_body="T", html_body="<p>T</p>",
                   attachments={"papers": [1]}, message_id="<k1@example.org>", dated=now, status="pending",
                   attempts=0, next_attempt_at=dt.datetime.now(dt.UTC), created_at=now)
        session.add(row)
        session.flush()
        mail_id = row.id
    _alter_paper(trail)
    mailer = OutboxMailer(trail.settings.data_dir / "sent")
    assert Delivery(trail.engine, mailer, DeliveryPolicy()).deliver(mail_id).failed == [mail_id]
    assert not list((trail.settings.data_dir / "sent").glob("*.eml"))
    with trail.engine.sessions() as session:
        failed = session.get(Mail, mail_id)
        assert failed is not None and failed.status == "failed"
        assert "not sent: paper 1 (early_findings) no longer matches its SHA-256" in (failed.last_error or "")


def test_verify_refuses_a_device_as_its_expectation_at_once(trail: App) -> None:
    # Before, `--expect /dev/zero` was read until memory ran out.
    env = {"CYCLE_DATA_DIR": str(trail.settings.data_dir), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    result = CliRunner().invoke(main, ["history", "verify", "--expect", "/dev/zero"], env=env)
    assert result.exit_code == 3, result.output
    assert "/dev/zero is a device, not a regular file; give the file an earlier 'cycle history verify --json' " \
           "wrote" in " ".join(result.output.split())
