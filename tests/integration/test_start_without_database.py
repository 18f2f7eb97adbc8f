"""A scheduler started while PostgreSQL is away waits for it, as it waits for the broker, rather than exiting.

Found by the seeded fault test: PostgreSQL stopped abruptly in the first second of a run, while the scheduler was
still starting, and the scheduler exited (status 5) with nothing to restart it.
"""

from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path

from tests.integration.postgres_server import PostgresCluster
from tests.integration.workers import RedisServer, Worker, free_port, wait_until, worker_env
from workflow.store import db


def _metrics(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            return str(answer.read().decode())
    except OSError:
        return ""


def test_a_scheduler_started_without_its_database_waits_for_it(tmp_path: Path) -> None:
    cluster = PostgresCluster(tmp_path / "postgres")
    redis_server = RedisServer(tmp_path / "redis")
    scheduler: Worker | None = None
    try:
        cluster.start()
        engine = db.make_engine(cluster.url)
        db.upgrade(engine)
        engine.dispose()
        cluster.stop_immediately()
        redis_server.start()
        port = free_port()
        env = worker_env(cluster.url, redis_server.url, tmp_path)
        del env["CYCLE_CLOCK"]  # live time, as a real installation runs
        scheduler = Worker(env, tmp_path / "scheduler.log",
                           argv=[sys.executable, "-m", "tasks", "scheduler", "--metrics-port", str(port)])
        wait_until(lambda: "database unreachable" in scheduler.output(), "the scheduler to find the database away",
                   60, check=scheduler.check)
        time.sleep(3)
        scheduler.check()  # still running, waiting
        assert _metrics(port) == "", "no metrics before the database is back"

        cluster.start()
        wait_until(lambda: "cycle_database_up 1.0" in _metrics(port), "the scheduler's metrics once the database is back",
                   60, check=scheduler.check)
        wait_until(lambda: "Sending due task" in scheduler.output(), "the scheduler's first tick", 60,
                   check=scheduler.check)
        log = scheduler.output()
        assert log.count("database unreachable") == 1 and log.count("database back after") == 1, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
    finally:
        if scheduler is not None:
            scheduler.stop()
        redis_server.stop()
        cluster.destroy()
