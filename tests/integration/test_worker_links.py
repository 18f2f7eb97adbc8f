"""A worker started without CYCLE_WEB_BASE_URL says once, as it starts, that its emails carry no links."""

from __future__ import annotations

from pathlib import Path

from tasks.app import NO_LINKS
from tests.integration.workers import Worker, wait_until, worker_env


def _started(env: dict[str, str], log: Path) -> str:
    worker = Worker(env, log)
    try:
        wait_until(lambda: " ready." in worker.output(), "the worker to be ready", 60, check=worker.check)
    finally:
        worker.stop()
    return worker.output()


def test_a_worker_without_the_site_address_says_once_that_emails_carry_no_links(
        pg_url: str, machine_redis: str, tmp_path: Path) -> None:
    unset = _started(worker_env(pg_url, machine_redis, tmp_path), tmp_path / "unset.log")
    assert unset.count(NO_LINKS) == 1, unset[-3000:]
    given = _started(worker_env(pg_url, machine_redis, tmp_path, CYCLE_WEB_BASE_URL="https://cycle.example.org"),
                     tmp_path / "set.log")
    assert "CYCLE_WEB_BASE_URL is unset" not in given
