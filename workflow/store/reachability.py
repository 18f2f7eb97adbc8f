"""Whether this process can reach its database, logged once per change of state.

During an outage every task, heartbeat and scrape would otherwise log its own
traceback (hundreds for a 15 s restart). Instead each process logs one line when the
database stops answering ("database unreachable: ...") and one when it answers again
("database back after 15 s"); callers that know an outage is on (`is_down()`) stay
quiet. The state is per process: a forked pool process starts from "up".
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import InvalidatePoolError

log = logging.getLogger("cycle.database")
log.addHandler(logging.NullHandler())  # a worker's logging shows these lines; a command's one sentence says enough

_lock = threading.Lock()
_state: dict[str, Any] = {"pid": None, "down_since": None}


def _current() -> dict[str, Any]:
    if _state["pid"] != os.getpid():  # forked: the parent's outage is not this process's news
        _state.update(pid=os.getpid(), down_since=None)
    return _state


def is_down() -> bool:
    with _lock:
        return _current()["down_since"] is not None


def went_down(reason: str) -> None:
    with _lock:
        state = _current()
        if state["down_since"] is None:
            state["down_since"] = time.monotonic()
            log.warning("database unreachable: %s", reason)


def came_back() -> None:
    with _lock:
        state = _current()
        if state["down_since"] is not None:
            log.warning("database back after %.0f s", time.monotonic() - state["down_since"])
            state["down_since"] = None


def watch(engine: Engine) -> None:
    """Follow `engine`'s connections: a lost or refused one marks the database down, a new one up."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        if context.is_disconnect or context.connection is None or _is_operational(context.original_exception):
            reason = " ".join(str(context.original_exception).split())[:300]
            went_down(reason or type(context.original_exception).__name__)

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, _record: Any) -> None:
        came_back()


def _is_operational(error: BaseException) -> bool:
    return type(error).__name__ == "OperationalError"


IDLE_PING_SECONDS = 5.0
"""A pooled connection idle for longer is tested with a round trip before it is used again."""


def ping_when_in_doubt(engine: Engine) -> None:
    """Test a pooled connection before use only when it may be dead, not on every checkout.

    A connection is in doubt when it has been idle in the pool for more than `IDLE_PING_SECONDS`, or
    when its socket has something to read while no query is running: a server that shuts down or
    restarts tells each connection so and closes it, which makes the socket readable, and polling it
    costs no round trip. A connection in doubt gets SQLAlchemy's own ping; a failed ping retires every
    connection the pool made before it (`InvalidatePoolError`, as `pool_pre_ping` does: the server that
    dropped one dropped them all) and reaches the engine's `handle_error` hooks, so `watch` logs the outage.
    A connection used a moment ago with nothing waiting on it is used as it is: on a busy server the ping
    SQLAlchemy's `pool_pre_ping` sends on every checkout was one round trip in four of an engine fire.
    Behind PgBouncer or a failover address a dead server may leave the sockets open: there, turn on
    `pool_pre_ping` instead (CYCLE_DATABASE_PRE_PING=1).
    """
    dialect = engine.dialect
    # The ping SQLAlchemy's pre-ping sends: the dialect's `handle_error` hooks see a failure (our `watch`);
    # False for a lost connection. A dialect without it pings bare, and the failure is logged here.
    ping = getattr(dialect, "_do_ping_w_event", None)

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_in_doubt(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None:  # a connection just made
            return
        if time.monotonic() - idle_since < IDLE_PING_SECONDS and not _has_news(dbapi_connection):
            return
        try:
            alive = ping(dbapi_connection) if ping is not None else dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if ping is None:
                went_down(" ".join(str(exc).split())[:300] or type(exc).__name__)
            raise InvalidatePoolError(f"a pooled connection was dead: {exc}") from exc
        if not alive:
            raise InvalidatePoolError("a pooled connection was dead")


def _has_news(dbapi_connection: Any) -> bool:
    """Whether an idle psycopg connection's socket can be read (the server said something, or hung up)."""
    try:
        if dbapi_connection.closed:
            return True
        poller = select.poll()  # not select.select(), which refuses descriptors past 1024
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # no socket to poll (or no poll() on this system): test it
        return True
