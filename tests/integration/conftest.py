"""Fixtures for the integration tests: the machine's Redis, and an engine on the shared clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import make_settings
from tests.integration.smtp import SmtpServer
from workflow.app import App, build
from workflow.time.clock import at_local

MACHINE_REDIS = os.environ.get("CYCLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def machine_redis() -> str:
    """The machine's Redis; fails, never skips, when it cannot be reached."""
    try:
        redis.Redis.from_url(MACHINE_REDIS).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is needed at {MACHINE_REDIS} for the worker tests and could not be used ({exc}). "
                    "Start it with 'make services' or set CYCLE_TEST_REDIS_URL.", pytrace=False)
    return MACHINE_REDIS


@pytest.fixture
def shared(pg_app: App, pg_url: str, tmp_path: Path) -> Iterator[App]:
    """The engine on the test database, reading the shared clock the workers read."""
    app = build(dataclasses.replace(make_settings(tmp_path, pg_url), shared_clock=True))
    app.engine.clock.set(at_local(dt.date(2021, 7, 1), 9))  # type: ignore[attr-defined]
    yield app
    app.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback, keeping what it receives."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
