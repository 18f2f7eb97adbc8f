"""A pooled PostgreSQL connection is tested before use only when in doubt, and a dead one is replaced.

`workflow.store.reachability.ping_when_in_doubt` replaced SQLAlchemy's ping before every checkout (a
round trip on every command). A connection used a moment ago goes out untested; one whose server
ended it (here `pg_terminate_backend`, as a restart would) is noticed without a round trip, tested,
and replaced before the command runs, so the command never sees the dead connection; with it, every
connection the pool made before is retired unpinged, and the process logs the outage once.
CYCLE_DATABASE_PRE_PING=1 turns on SQLAlchemy's ping before every checkout instead.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text

from workflow.errors import ConfigurationError
from workflow.settings import Settings
from workflow.store import db
from workflow.store.reachability import came_back

pytestmark = pytest.mark.integration


def test_a_busy_connection_is_not_pinged_and_one_the_server_ended_is_replaced_unseen(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    other = db.make_engine(pg_url)
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(1)
        return ping(connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        for _ in range(5):
            with engine.connect() as connection:
                backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert pings == [], "a connection used a moment ago is used as it is"

        with engine.connect() as connection:
            socket = connection.connection.dbapi_connection.pgconn.socket  # type: ignore[union-attr]
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        poller = select.poll()
        poller.register(socket, select.POLLIN)
        deadline = time.monotonic() + 30
        while not poller.poll(100) and time.monotonic() < deadline:  # the server's goodbye arrives
            pass

        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert pings == [1], "the ended connection was tested once, then replaced"
    finally:
        engine.dispose()
        other.dispose()


@contextmanager
def counting_pings(engine: Any) -> Iterator[list[int]]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(1)
        return ping(connection)

    engine.dialect.do_ping = counted
    try:
        yield pings
    finally:
        engine.dispose()


def ended_by_the_server(engine: Any, other: Any, how_many: int) -> set[int]:
    """Put `how_many` pooled connections in `engine`'s pool, have the server end them all, and wait until
    each has heard so; their backend ids."""
    held = [engine.connect() for _ in range(how_many)]
    backends = {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in held}
    sockets = [c.connection.dbapi_connection.pgconn.socket for c in held]
    for connection in held:
        connection.close()
    with other.connect() as connection:
        for backend in backends:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    poller = select.poll()
    for socket in sockets:
        poller.register(socket, select.POLLIN)
    deadline = time.monotonic() + 30
    while len(poller.poll(100)) < how_many and time.monotonic() < deadline:
        pass
    return backends


def test_a_failed_ping_retires_every_older_pooled_connection_and_logs_the_outage(
        pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = db.make_engine(pg_url)
    other = db.make_engine(pg_url)
    came_back()  # whatever an earlier test left, this process starts from "up"
    try:
        with counting_pings(engine) as pings:
            old = ended_by_the_server(engine, other, 3)
            with caplog.at_level(logging.WARNING, logger="cycle.database"):
                held = [engine.connect() for _ in range(3)]
                now = {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in held}
                for connection in held:
                    connection.close()
            assert not now & old and len(now) == 3
            assert pings == [1], "the first dead connection was tested; the pool then retired the others unpinged"
            said = [r.getMessage() for r in caplog.records if r.name == "cycle.database"]
            assert said[0].startswith("database unreachable: "), said
    finally:
        other.dispose()


def test_cycle_database_pre_ping_tests_every_checkout(pg_url: str) -> None:
    settings = Settings.from_env({"CYCLE_DATABASE_URL": pg_url, "CYCLE_DATABASE_PRE_PING": "1"})
    assert Settings.from_env({"CYCLE_DATABASE_URL": pg_url}).engine_options == {}
    engine = db.make_engine(settings.database_url, **settings.engine_options)
    with counting_pings(engine) as pings:
        for _ in range(4):
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        assert pings == [1, 1, 1], "every checkout but the one that made the connection was pinged"


def test_cycle_database_pre_ping_takes_only_1_or_0() -> None:
    with pytest.raises(ConfigurationError, match=r"CYCLE_DATABASE_PRE_PING='yes' should be 1"):
        Settings.from_env({"CYCLE_DATABASE_PRE_PING": "yes"})
