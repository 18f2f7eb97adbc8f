"""Personal case data on PostgreSQL: the sealed history keeps only keyed digests, retention erases the values
(from the command line and from the scheduler's task) and `cycle history verify` still passes with the key."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from tasks.app import RETENTION, create_app
from tests.audit_tampering import KEY
from tests.conftest import empty_tables, make_settings
from tests.test_case_fields import OFFICER, START, folder
from workflow.app import build
from workflow.cli import main
from workflow.store import db
from workflow.time.clock import SimulatedClock, at_local


def test_retention_erases_on_postgresql_and_the_sealed_history_still_verifies(pg_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)
    engine.dispose()
    key_file = tmp_path / "audit.key"
    key_file.write_bytes(KEY + b"\n")
    settings = replace(make_settings(tmp_path, pg_url), definitions_dir=folder(tmp_path), audit_key_file=key_file)
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    try:
        for year in (2026, 2027):
            cycle = f"case_review-{year}"
            app.engine.start("case_review", year, OFFICER, fields={**START, "family_contact_email": "f@example.org"})
            app.engine.set_fields(cycle, {"panel_size": "3", "report_due": "2026-04-07"}, OFFICER)
            for trigger in ("commission", "write_report", "close"):
                app.engine.fire(cycle, trigger, OFFICER)
        with app.database.connect() as connection:
            history = connection.execute(text("SELECT data::text FROM history")).scalars().all()
        assert not any("Alex Example" in row or "2026-03-14" in row or "f@example.org" in row for row in history)
    finally:
        app.close()

    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir),
           "CYCLE_DATABASE_URL": pg_url, "CYCLE_AUDIT_KEY_FILE": str(key_file),
           "CYCLE_NOW": "2028-04-07T09:00:00+01:00"}
    ran = CliRunner().invoke(main, ["retention", "run"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "case_review-2026: erased date_of_death, family_contact_email, subject_name" in ran.output
    assert "case_review-2027: erased date_of_death, family_contact_email, subject_name" in ran.output

    verified = CliRunner().invoke(main, ["history", "verify", "--json"], env=env)
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.output)
    assert report["ok"] and report["keyed"]
    assert all(c["sealed"] == c["rows"] for c in report["cycles"])
    reader = db.make_engine(pg_url)
    with reader.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM case_fields WHERE personal AND "
                                       "(value IS NOT NULL OR salt IS NOT NULL)")).scalar()
    reader.dispose()
    assert left == 0
    empty_tables(pg_url)


def test_the_schedulers_retention_task_erases_what_is_due(pg_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)
    engine.dispose()
    settings = replace(make_settings(tmp_path, pg_url), definitions_dir=folder(tmp_path))
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    try:
        app.engine.start("case_review", 2026, OFFICER, fields=START)
        app.engine.set_fields("case_review-2026", {"panel_size": "3", "report_due": "2026-04-07"}, OFFICER)
        for trigger in ("commission", "write_report", "close"):
            app.engine.fire("case_review-2026", trigger, OFFICER)
    finally:
        app.close()
    celery = create_app(replace(settings, frozen_now=at_local(dt.date(2028, 4, 7), 9)))  # two years after closing
    assert celery.conf.beat_schedule["erase-personal-data"]["task"] == RETENTION
    assert celery.tasks[RETENTION].run() == 1
    assert celery.tasks[RETENTION].run() == 0  # nothing left to erase
    celery.runtime.app.close()  # type: ignore[attr-defined]  # its pooled connections, closed here, not at collection
    reader = db.make_engine(pg_url)
    with reader.connect() as connection:
        actions = connection.execute(text("SELECT action FROM history ORDER BY id")).scalars().all()
    reader.dispose()
    assert actions[-1] == "erase"
    empty_tables(pg_url)
