"""A pooled PostgreSQL connection is tested before use only when in doubt, and a dead one is replaced.

`workflow.store.reachability.ping_when_in_doubt` replaced SQLAlchemy's ping before every checkout (a
round trip on every command). A connection used a moment ago goes out untested; one whose server
ended it (here `pg_terminate_backend`, as a restart would) is noticed without a round trip, tested,
and replaced before the command runs, so the command never sees the dead connection.
"""

from __future__ import annotations

import select
import time
from typing import Any

import pytest
from sqlalchemy import text

from workflow.store import db

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
