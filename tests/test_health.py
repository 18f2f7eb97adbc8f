"""`cycle health` and the metrics say what is stuck: heartbeats, failed work, waiting events (embedded database)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from prometheus_client import generate_latest
from sqlalchemy import func, select

from tasks.cli import main
from tasks.metrics import registry
from tests.conftest import DEFINITIONS
from tests.helpers import AUTHOR, CYCLE, carry, counts, paper_file
from workflow.app import App
from workflow.commands.sweep import Sweeper
from workflow.reads import health
from workflow.store.models import Deadline, OutboxEvent
from workflow.store.outbox import wall_clock


def cycle(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    """`cycle ...` as an officer runs it: its own settings and engine on the test's database."""
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'cycle.db'}",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-01T09:00:00+01:00"}
    return CliRunner().invoke(main, list(args), env=env)


def run(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return cycle(tmp_path, "health", *args)


def test_health_exits_non_zero_until_a_worker_and_the_scheduler_beat(app: App, tmp_path: Path) -> None:
    silent = run(tmp_path, "--json")
    assert silent.exit_code == 1
    assert json.loads(silent.stdout)["problems"] == ["no worker has sent a heartbeat in the last 60 s",
                                                     "no scheduler has sent a heartbeat in the last 60 s"]
    started = wall_clock()
    health.beat(app.engine, "worker:w1@host", "worker", started)
    health.beat(app.engine, "scheduler", "scheduler", started)
    alive = run(tmp_path)
    assert alive.exit_code == 0, alive.output
    assert "nothing is stuck" in alive.stdout and "worker:w1@host" in alive.stdout
    health.forget(app.engine, "worker:w1@host")
    assert run(tmp_path).exit_code == 1, "the only worker stopped"


def test_a_failed_deadline_is_a_problem_and_a_metric(app: App, tmp_path: Path) -> None:
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    started = wall_clock()
    health.beat(app.engine, "worker:w1@host", "worker", started)
    health.beat(app.engine, "scheduler", "scheduler", started)
    with app.engine.unit_of_work() as session:
        session.add(Deadline(key="k", cycle_id=1, stage="early_findings", kind="reminder", entry=1,
                             due_at=app.engine.clock.now() - dt.timedelta(days=1), status="failed", attempts=5,
                             failures=5, last_error="UndefinedError: no nickname", created_at=started))
    stuck = run(tmp_path, "--json")
    assert stuck.exit_code == 1
    figures = json.loads(stuck.stdout)
    assert figures["deadlines_failed"] == 1 and figures["outbox_waiting"] == 2  # the cycle started, its first stage entered
    assert figures["problems"] == ["1 deadlines failed and wait for an officer ('cycle deadlines list --status failed')"]
    scraped = generate_latest(registry(app.engine)).decode()
    assert "cycle_deadlines_failed 1.0" in scraped
    assert "cycle_outbox_waiting 2.0" in scraped
    assert 'cycle_mail{status="failed"} 0.0' in scraped
    assert 'cycle_heartbeat_timestamp_seconds{name="scheduler",role="scheduler"}' in scraped
    assert "cycle_sweep_duration_seconds_count" in scraped


def test_officers_fires_and_refusals_from_the_command_line_are_counted(app: App, tmp_path: Path) -> None:
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    before = counts(app)
    too_soon = cycle(tmp_path, "fire", CYCLE, "discuss_early_findings", "--as", AUTHOR)
    assert too_soon.exit_code == 3 and "not possible yet" in too_soon.stderr
    unknown = cycle(tmp_path, "fire", CYCLE, "adopt_strategy_now", "--as", AUTHOR)
    assert unknown.exit_code == 3, unknown.output
    nobody = cycle(tmp_path, "fire", "community_safety_strategy-1999", "discuss_early_findings", "--as", AUTHOR)
    assert nobody.exit_code != 0 and "there is no cycle" in nobody.stderr
    assert counts(app) == before, "a refused fire leaves nothing in the cycle's tables"
    app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    carry(app, "mk_together", "early_findings")
    assert cycle(tmp_path, "fire", CYCLE, "discuss_early_findings", "--as", AUTHOR).exit_code == 0
    scraped = generate_latest(registry(app.engine)).decode()
    assert 'cycle_fires_total{trigger="discuss_early_findings"} 1.0' in scraped
    assert 'cycle_refusals_total{reason="gate_not_met"} 1.0' in scraped
    assert 'cycle_refusals_total{reason="not_allowed"} 1.0' in scraped
    assert 'cycle_refusals_total{reason="not_found"} 1.0' in scraped


def test_the_sweeps_refused_fires_are_counted_too(app: App) -> None:
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    with app.engine.unit_of_work() as session:  # a deadline for a step the definition does not time: refused
        entry = session.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.event_type == "StageEntered"))
        session.add(Deadline(key="k", cycle_id=1, stage="early_findings", kind="timed_transition", entry=entry,
                             trigger="discuss_early_findings", due_at=app.engine.clock.now() - dt.timedelta(hours=1),
                             status="pending", attempts=0, failures=0, created_at=wall_clock()))
    assert Sweeper(app.engine).sweep().outcomes["timed_transition", "refused"] == 1
    scraped = generate_latest(registry(app.engine)).decode()
    assert 'cycle_refusals_total{reason="missing_role"} 1.0' in scraped, "the scheduler holds no officer's role"
