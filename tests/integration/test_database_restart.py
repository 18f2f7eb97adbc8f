"""A database restart heals by itself: the first scrape after it says up, and the outage is two log lines."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from tasks.metrics import DatabaseCollector
from tests.conftest import make_settings
from tests.integration.postgres_server import PostgresCluster
from workflow.app import build
from workflow.store import db


def _up(collector: DatabaseCollector) -> float:
    (gauge,) = [m for m in collector.collect() if m.name == "cycle_database_up"]
    return float(gauge.samples[0].value)


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the pooled connections the stop cut are dropped
def test_the_first_scrape_after_a_restart_says_up_and_the_outage_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    postgres = PostgresCluster(tmp_path / "postgres")
    postgres.start()
    try:
        engine = db.make_engine(postgres.url)
        db.upgrade(engine)
        engine.dispose()
        app = build(make_settings(tmp_path, postgres.url))
        collector = DatabaseCollector(app.engine)
        assert _up(collector) == 1.0
        postgres.stop_immediately()
        caplog.set_level(logging.INFO, logger="cycle.database")
        assert [_up(collector) for _ in range(5)] == [0.0] * 5
        postgres.start()
        assert _up(collector) == 1.0, "the pooled connections were tested and replaced, not used dead"
        with app.engine.sessions() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
        lines = [r.getMessage() for r in caplog.records if r.name == "cycle.database"]
        assert len(lines) == 2 and lines[0].startswith("database unreachable: ") and \
            lines[1].startswith("database back after "), lines
        app.close()
    finally:
        postgres.destroy()
