"""A cycle held by a transaction that does not end: a command waits `CYCLE_LOCK_WAIT`, then is told the cycle is busy.

The holder is a second connection that took the cycle's row `FOR UPDATE` and keeps it, as an operator's open
`psql` session or a hung worker would. Without a bound, every command on that cycle waited for as long as the
holder lived. Here the bound is 1 s, so each refusal costs a second.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from tests.conftest import REPO, make_settings
from workflow.app import App, build
from workflow.cli import main
from workflow.errors import Busy
from workflow.settings import Settings
from workflow.store.db import normalise_url
from workflow.store.models import Deadline, HistoryEntry, OutboxEvent, RefusalCount
from workflow.store.outbox import Handlers
from workflow.store.unit import CYCLE_BUSY
from workflow.time.clock import SimulatedClock
from workflow.time.deadlines import plan_stage

RACE = "race-2026"


@contextmanager
def held(pg_url: str, key: str = RACE) -> Iterator[None]:
    """The cycle's row locked `FOR UPDATE` by a transaction of another connection, until the block ends."""
    other = create_engine(normalise_url(pg_url))
    try:
        with other.connect() as connection, connection.begin() as transaction:
            found = connection.execute(text("SELECT id FROM cycles WHERE key = :key FOR UPDATE"), {"key": key}).first()
            assert found is not None
            yield
            transaction.rollback()
    finally:
        other.dispose()


@pytest.fixture
def settings(pg_app: App, pg_url: str, tmp_path: Path) -> Settings:
    """The test database (made and emptied by `pg_app`), its people's commands waiting 1 s for a lock."""
    return dataclasses.replace(make_settings(tmp_path, pg_url), definitions_dir=REPO / "tests" / "data",
                               lock_wait=1.0, worker_lock_wait=1.0)


@pytest.fixture
def officer(settings: Settings, clock: SimulatedClock) -> Iterator[App]:
    app = build(settings, clock=clock)
    app.engine.start("race", 2026, "officer_a")
    yield app
    app.close()


def fires(app: App) -> list[tuple[str, str]]:
    with app.engine.sessions() as session:
        return [(h.actor, h.to_state or "") for h in
                session.scalars(select(HistoryEntry).where(HistoryEntry.action == "fire").order_by(HistoryEntry.id))]


def test_a_fire_on_a_held_cycle_is_refused_after_the_lock_wait_and_goes_through_once_it_is_free(
        officer: App, settings: Settings, tmp_path: Path) -> None:
    env = {"CYCLE_DATABASE_URL": settings.database_url, "CYCLE_DATA_DIR": str(tmp_path / "cli"),
           "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir), "CYCLE_LOCK_WAIT": "1"}
    with held(settings.database_url):
        began = time.monotonic()
        with pytest.raises(Busy) as refused:
            officer.engine.fire(RACE, "approve", "officer_a")
        waited = time.monotonic() - began
        assert str(refused.value) == CYCLE_BUSY
        assert 0.9 <= waited < 5, waited  # the bound, not forever (nor at once)
        result = CliRunner().invoke(main, ["fire", RACE, "approve", "--as", "officer_b"], env=env)
    assert result.exit_code == 4, result.output
    assert result.output.strip() == f"error: {CYCLE_BUSY}"  # one sentence, no traceback
    assert "Traceback" not in result.output
    assert fires(officer) == []  # nothing of either refused fire was written
    assert officer.engine.status(RACE).stage == "draft"
    with officer.engine.sessions() as session:
        assert session.get(RefusalCount, "busy") is not None  # counted for cycle_refusals_total{reason="busy"}

    # Once the holder lets go, the same command goes through.
    again = CliRunner().invoke(main, ["fire", RACE, "approve", "--as", "officer_b"], env=env)
    assert again.exit_code == 0, again.output
    assert fires(officer) == [("officer_b", "approved")]


def test_the_lock_wait_is_set_on_each_connection_and_the_workers_wait_longer(settings: Settings) -> None:
    people = build(dataclasses.replace(settings, lock_wait=10.0))
    workers = build(dataclasses.replace(settings, lock_wait=10.0), lock_wait=60.0)
    try:
        with people.database.connect() as connection:
            assert connection.execute(text("SHOW lock_timeout")).scalar() == "10s"
        with workers.database.connect() as connection:
            assert connection.execute(text("SHOW lock_timeout")).scalar() == "1min"
    finally:
        people.close()
        workers.close()


def test_a_worker_meeting_a_held_cycle_is_refused_with_what_its_task_retries(officer: App, settings: Settings) -> None:
    from tasks.app import RETRIED, create_app

    celery = create_app(settings)
    runtime = celery.runtime  # type: ignore[attr-defined]
    with runtime.app.database.connect() as connection:  # the worker's engine waits CYCLE_WORKER_LOCK_WAIT
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "1s"
    with officer.engine.sessions() as session:
        entered = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "StageEntered")).one()
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, runtime.app.engine))
    try:
        with held(settings.database_url), pytest.raises(Busy) as refused:
            handlers.handle(runtime.app.engine, entered)
        # `handle_event` retries it with backoff, as it retries a race or a database outage.
        assert isinstance(refused.value, RETRIED)
        with officer.engine.sessions() as session:
            assert session.get(OutboxEvent, entered).handled_at is None  # left for the retry
        assert handlers.handle(runtime.app.engine, entered) == ["deadlines"]  # the retry, once the cycle is free
        with officer.engine.sessions() as session:
            assert session.get(OutboxEvent, entered).handled_at is not None
            assert session.scalars(select(Deadline)).first() is not None  # the draft stage's 'due: May'
    finally:
        runtime.app.close()
