"""Timing one round of the fire benchmark: wall, client CPU, the backend's CPU, round trips."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq

from bench.harness import median
from workflow.app import App

# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One timed round: operations, wall time, this process's CPU, the database backend's CPU."""

    ops: int
    wall: float
    cpu: float
    server_cpu: float | None

    @property
    def rate(self) -> float:
        return self.ops / self.wall


def backend_cpu(pid: int | None) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend process, when it runs on this machine."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(ops: int, work: Callable[[], None], backend_pid: int | None = None) -> Sample:
    server0 = backend_cpu(backend_pid)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    work()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    server1 = backend_cpu(backend_pid)
    server = server1 - server0 if server0 is not None and server1 is not None else None
    return Sample(ops, wall, cpu, server)


def per_op_us(samples: list[Sample], attr: str) -> float | None:
    values = [getattr(s, attr) for s in samples]
    if any(v is None for v in values):
        return None
    return median([v / s.ops * 1e6 for v, s in zip(values, samples, strict=True)])


def spread(samples: list[Sample]) -> str:
    rates = [s.rate for s in samples]
    return f"{min(rates):,.0f}-{max(rates):,.0f}"


# -- the temporary database ----------------------------------------------------------------


def engine_connection(app: App) -> psycopg.Connection[Any]:
    """The driver connection under the engine's pool: commands run one at a time, so there is one."""
    with app.database.connect() as connection:
        dbapi = connection.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    return dbapi


def round_trips(connection: psycopg.Connection[Any], ops: int, work: Callable[[], None], trace: Path) -> float:
    """Client-server round trips per operation, counted in libpq's protocol trace (untimed)."""
    with trace.open("w") as out:
        connection.pgconn.trace(out.fileno())
        connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            work()
        finally:
            connection.pgconn.untrace()
    with trace.open() as lines:
        # Without pipelining every exchange ends with the server's ReadyForQuery.
        count = sum(1 for line in lines if line.startswith("B\t") and "\tReadyForQuery" in line)
    trace.unlink()
    return count / ops
