"""A `cycle fire` SIGKILLed mid-transaction leaves the database as it was (real process, real PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.conftest import DEFINITIONS, REPO, SHIPPED
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from tests.integration.workers import wait_until
from workflow.app import App
from workflow.store.db import normalise_url

# Slows the fire's insert into the outbox, which comes after its update of the cycle and its history row
# in the same statement: while it sleeps, the transaction has written and not committed.
SLOW_OUTBOX = """
CREATE FUNCTION test_slow_outbox() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(4); RETURN NEW; END $$
LANGUAGE plpgsql;
CREATE TRIGGER test_slow_outbox BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION test_slow_outbox();
"""
SNAPSHOT = {
    "cycle": "SELECT state, version, updated_at FROM cycles",
    "history": "SELECT count(*), max(id) FROM history",
    "outbox": "SELECT count(*), max(id) FROM outbox",
    "deadlines": "SELECT status, count(*) FROM deadlines GROUP BY status ORDER BY status",
}


def snapshot(app: App) -> dict[str, Any]:
    with app.database.connect() as connection:
        return {name: connection.execute(text(sql)).all() for name, sql in SNAPSHOT.items()}


def test_a_fire_killed_mid_transaction_leaves_the_database_as_before(pg_app: App, pg_url: str, tmp_path: Path) -> None:
    engine = pg_app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    carry(pg_app, "mk_together", "early_findings")
    before = snapshot(pg_app)
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CYCLE_")}, "CYCLE_DATABASE_URL": pg_url,
           "CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
           "CYCLE_NOW": engine.clock.now().isoformat()}
    argv = [sys.executable, "-m", "tasks", "fire", CYCLE, "discuss_early_findings", "--as", AUTHOR]
    with admin.connect() as connection:
        connection.exec_driver_sql(SLOW_OUTBOX)
    try:
        process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def writing() -> bool:
            # The fire's backend has written (it has a transaction id) and waits inside the outbox trigger.
            with admin.connect() as connection:
                return bool(connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_xid IS NOT NULL AND query LIKE '%INSERT INTO outbox%' AND state = 'active'"
                )).scalar())

        wait_until(writing, "the fire to be inside its transaction", 30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

        def gone() -> bool:
            with admin.connect() as connection:
                return not connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE '%INSERT INTO outbox%' AND pid <> pg_backend_pid()")).scalar()

        wait_until(gone, "the server to end the killed command's session", 30)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP TRIGGER test_slow_outbox ON outbox; DROP FUNCTION test_slow_outbox();")
        admin.dispose()
    assert snapshot(pg_app) == before, "nothing of the killed command was committed"
    # And nothing was left locked or half-done: the same command now goes through.
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    after = snapshot(pg_app)
    assert after["cycle"][0][0] == "assessment_sign_off"
    assert after["history"][0][0] == before["history"][0][0] + 1
