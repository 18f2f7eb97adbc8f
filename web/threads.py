"""The worker threads an `async` endpoint runs its blocking command in, one move there and back.

Starlette's `run_in_threadpool` (anyio) takes a capacity-limiter token, opens a cancel scope
and wakes its worker through a `queue.Queue` built on Python-level locks: about 40 to 60 µs of
CPU per move measured here, against about 20 µs for the event loop's own `run_in_executor` on
a `ThreadPoolExecutor`, whose queue is C. An API fire moves once; so does every `Me` lookup.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# As many as the database engine's pool can serve at once (SQLAlchemy's 5 connections and 10 more on
# demand): a command on a thread beyond that would only wait for a connection, holding its thread.
THREADS = 15


class Commands:
    """One pool of threads per app, shut down (after the commands running in it end) when the app stops."""

    def __init__(self, threads: int = THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="cycle-command")

    async def run(self, command: Callable[[], T]) -> T:
        # In a copy of the request's context, as `run_in_threadpool` does: what the command sets (the
        # credential named in history rows) is this request's alone, and the thread keeps nothing of it.
        return await asyncio.get_running_loop().run_in_executor(self._pool, contextvars.copy_context().run, command)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
