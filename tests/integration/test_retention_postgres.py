"""Retention on PostgreSQL, files kept in the database: a closed review's contacts, emails and exempt record are
erased after its period and not before, and the history sealed with the audit key still verifies."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, text

from notifications import reminders
from notifications.documents import Documents
from notifications.links import Links
from tests.audit_tampering import KEY
from tests.conftest import empty_tables, make_settings
from tests.test_domestic_homicide_review import BOARD, CLERK, COORDINATOR, DHR, pdftotext
from workflow.app import App, build
from workflow.cli import main
from workflow.commands import contacts
from workflow.commands.sweep import Sweeper
from workflow.store import db
from workflow.store.models import OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import SimulatedClock, at_local
from workflow.time.deadlines import plan_stage


def work(app: App) -> None:
    """What the workers do with the events waiting: plan each stage, make each gate's records."""
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, app.engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, app.engine))
    documents = Documents(app.engine, app.documents(), Links(""))
    handlers.on("GatePassed", "documents", documents.apply, prepare=documents.prepare)
    with app.engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(app.engine, event_id)


def test_a_closed_review_is_erased_on_postgresql_after_its_period_only(pg_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    empty_tables(pg_url)  # the run's database: what an earlier test left (if it failed) is not this test's
    db.mark_rehearsal(engine)
    engine.dispose()
    key_file = tmp_path / "audit.key"
    key_file.write_bytes(KEY + b"\n")
    settings = replace(make_settings(tmp_path / "data", pg_url), audit_key_file=key_file, storage="database")
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    try:
        cycle = app.engine.start(DHR, None, COORDINATOR, fields={
            "subject_name": "Alex Example", "date_of_death": "2026-03-30", "date_notified": "2026-04-06"}).cycle
        contacts.add(app.engine, cycle, COORDINATOR, role="family_contact", name="Jo Example",
                     email="jo@example.net", address="1 High Street, Milton Keynes, MK1 1AA")
        work(app)
        app.engine.clock.set(at_local(dt.date(2026, 5, 7), 9))  # type: ignore[attr-defined]
        Sweeper(app.engine, {reminders.REMINDER: reminders.send_action(app.engine, "example.org", Links(""))}).sweep()
        app.engine.decide(cycle, "csp_board", "commission", CLERK, votes_for=BOARD[:1], votes_against=BOARD[1:])
        app.engine.set_fields(cycle, {"home_office_told_on": "2026-05-07"}, COORDINATOR)
        app.engine.fire(cycle, "close_not_commissioned", COORDINATOR)
        work(app)
        with app.database.connect() as connection:
            exempt_pdf = connection.execute(text(
                "SELECT pdf_sha256 FROM documents WHERE version = 'exempt'")).scalar_one()
            reminded = connection.execute(text(
                "SELECT count(*) FROM mail WHERE kind = 'reminder' AND person = :p"), {"p": COORDINATOR}).scalar_one()
        assert reminded >= 1, "the coordinator's reminder, written with the case's personal values"
        assert "Alex Example" in pdftotext(app.documents().get(exempt_pdf))
    finally:
        app.close()

    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir),
           "CYCLE_DATABASE_URL": pg_url, "CYCLE_AUDIT_KEY_FILE": str(key_file), "CYCLE_STORAGE": "database"}

    def cli(now: str, *args: str) -> tuple[int, str]:
        ran = CliRunner().invoke(main, list(args), env={**env, "CYCLE_NOW": now})
        return ran.exit_code, ran.output

    code, said = cli("2032-05-06T09:00:00+01:00", "retention", "run")  # a day short of six years
    assert code == 0 and "no personal data is past its retention period" in said, said
    code, said = cli("2032-05-07T09:00:00+01:00", "retention", "run")
    assert code == 0, said
    said = " ".join(said.split())
    assert f"{cycle}: erased date_of_death, subject_name; 1 outside contact, " in said, said
    assert "emails, 1 document's exempt version" in said, said

    code, said = cli("2032-05-07T09:00:00+01:00", "history", "verify", "--json")
    assert code == 0, said
    report = json.loads(said)
    assert report["ok"] and report["keyed"] and all(c["sealed"] == c["rows"] for c in report["cycles"])
    code, said = cli("2032-05-07T09:00:00+01:00", "documents", "verify")
    assert code == 0 and "3 erased after retention" in said, said
    code, said = cli("2032-05-07T09:00:00+01:00", "retention", "run")
    assert code == 0 and "no personal data is past" in said, said  # nothing left: no second erase row

    reader = db.make_engine(pg_url)
    with reader.connect() as connection:
        contact = connection.execute(text("SELECT name, email, address, erased_at FROM case_contacts")).one()
        mail = connection.execute(text(
            "SELECT subject, text_body, html_body FROM mail WHERE erased_at IS NOT NULL")).all()
        kept_mail = connection.execute(text("SELECT subject FROM mail WHERE erased_at IS NULL")).scalars().all()
        stored = connection.execute(text("SELECT count(*) FROM stored_files WHERE sha256 = :s"),
                                    {"s": exempt_pdf}).scalar_one()
        stones = connection.execute(text("SELECT kind, count(*) FROM erased_files GROUP BY kind")).all()
        erase_rows = connection.execute(text(
            "SELECT data::text FROM history WHERE action = 'erase'")).scalars().all()
        everything = " ".join(str(row) for row in connection.execute(text(
            "SELECT subject, text_body, recipient FROM mail")).all())
    reader.dispose()
    assert contact[0] == "" and contact[1] is None and contact[2] is None and contact[3] is not None
    assert mail and all(row == ("", "", "") for row in mail)
    assert kept_mail and all("Review decision record" in subject for subject in kept_mail)  # they name no one
    assert stored == 0 and stones == [("document", 3)]
    assert len(erase_rows) == 1 and "Alex Example" not in erase_rows[0] and '"contacts": 1' in erase_rows[0]
    assert "Alex Example" not in everything and "jo@example.net" not in everything
    empty_tables(pg_url)
