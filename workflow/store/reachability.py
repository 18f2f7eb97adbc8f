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
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

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
