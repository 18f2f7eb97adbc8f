"""The scheduler meets a Redis outage: one line when it starts, one when it ends, no traceback per due task."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.integration.workers import RedisServer, Worker, wait_until, worker_env
from workflow.app import App


def test_a_redis_outage_is_two_lines_in_the_schedulers_log(pg_app: App, pg_url: str, tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    env = worker_env(pg_url, redis_server.url, tmp_path)  # the relay ticks five times a second
    scheduler = Worker(env, tmp_path / "scheduler.log",
                       argv=[sys.executable, "-m", "tasks", "scheduler", "--loglevel", "INFO"])
    try:
        wait_until(lambda: "Sending due task relay-outbox" in scheduler.output(), "the scheduler's first tick",
                   60, check=scheduler.check)
        redis_server.kill()
        time.sleep(4)  # about twenty relay, sweep and delivery ticks fall due while Redis is away
        scheduler.check()
        redis_server.start()
        wait_until(lambda: "broker back after" in scheduler.output(), "the scheduler to say the broker is back",
                   60, check=scheduler.check)
        sent_after = len(scheduler.output().split("broker back after", 1)[1].split("Sending due task")) - 1
        wait_until(lambda: len(scheduler.output().split("broker back after", 1)[1].split("Sending due task")) - 1
                   > sent_after + 2, "ticks to go out again", 30, check=scheduler.check)
    finally:
        scheduler.stop()
        redis_server.stop()

    log = scheduler.output()
    assert log.count("broker unreachable:") == 1, log[-4000:]
    assert log.count("broker back after") == 1, log[-4000:]
    assert "Traceback" not in log and "Message Error" not in log, log[-4000:]
