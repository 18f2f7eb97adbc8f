"""The embedded broker (files, no server) never loses a worker: the demo's set-up under a flood of messages."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from tasks.app import HANDLE_EVENT, create_app
from tests.integration.workers import Worker, free_port, wait_until, worker_env
from workflow.app import build
from workflow.reads import health
from workflow.settings import Settings
from workflow.store.models import Deadline, OutboxEvent
from workflow.time.clock import at_local

CYCLES = 12
MESSAGES = 600  # per publishing thread


def test_several_workers_on_the_file_broker_survive_a_flood_and_an_unreadable_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = worker_env(f"sqlite:///{data / 'cycle.db'}", "", tmp_path, CYCLE_DATA_DIR=str(data),
                     CYCLE_RELAY_INTERVAL="0.1", CYCLE_SWEEP_INTERVAL="0.1")
    settings = Settings.from_env(env)
    app = build(settings)
    app.engine.clock.set(at_local(dt.date(2021, 7, 1), 9))  # type: ignore[attr-defined]
    broker = create_app(settings)
    port = free_port()
    metered = [sys.executable, "-m", "tasks", "worker", "--pool", "solo", "--hostname", "w0@%h", "--beat",
               "--metrics-port", str(port)]
    workers = [Worker(env, tmp_path / f"worker-{i}.log", beat=i == 0, name=f"w{i}", argv=metered if i == 0 else None)
               for i in range(3)]

    def check() -> None:
        for worker in workers:
            worker.check()

    try:
        # A message file that can never be read, as a crash mid-write would leave it.
        queue = settings.broker_dir / "queue"
        (queue / f"1_torn.{settings.queue}.msg").write_bytes(b'{"body": "eyJ')
        for year in range(2021, 2021 + CYCLES):  # real events for the workers to relay and handle
            app.engine.start("community_safety_strategy", year, "head_of_partnerships")

        def flood() -> None:
            with broker.connection_for_write() as connection:
                for _ in range(MESSAGES):
                    broker.send_task(HANDLE_EVENT, args=[10**9], connection=connection)  # no such event: a no-op

        publishers = [threading.Thread(target=flood) for _ in range(2)]
        for thread in publishers:
            thread.start()
        for thread in publishers:
            thread.join()

        def settled() -> bool:
            with app.engine.sessions() as session:
                unhandled = session.scalar(select(func.count()).select_from(OutboxEvent)
                                           .where(OutboxEvent.handled_at.is_(None)))
            waiting = [p for p in queue.iterdir() if p.name.endswith(".msg")]
            return unhandled == 0 and not waiting

        wait_until(settled, "the workers to take every message and handle every event", 180, check=check)
        check()  # every worker still running
        # Each worker and the scheduler beside the first are alive, as the metrics of any of them show.
        wait_until(lambda: health.check(app.engine).problems == [], "every heartbeat", 30, check=check)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            scraped = response.read().decode()
    finally:
        for worker in workers:
            worker.stop()
        app.close()
    with app.engine.sessions() as session:
        planned = session.scalar(select(func.count(func.distinct(Deadline.cycle_id))))
    assert planned == CYCLES, "every cycle's first stage was planned"
    assert [p.name for p in (settings.broker_dir / "unreadable").iterdir()] == [f"1_torn.{settings.queue}.msg"]
    logs = "".join(worker.output() for worker in workers)
    assert "could not be read" in logs and "set aside" in logs
    assert "CRITICAL" not in logs and "Unrecoverable" not in logs
    assert scraped.count('role="worker"') == 3 and 'role="scheduler"' in scraped
    assert "cycle_outbox_waiting 0.0" in scraped
