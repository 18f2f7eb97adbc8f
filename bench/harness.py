"""What every benchmark needs and none of them measures: a scratch database, timing rounds, worker
processes, the machine line and the report table, and a `main` that turns a missing service into one sentence.

A benchmark file imports this as `bench.harness` after taking its own folder off sys.path (where
bench/transitions.py would shadow the `transitions` library the engine imports):

    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import URL, create_engine, text
from sqlalchemy.engine import make_url

from workflow.store import db

REPO = Path(__file__).resolve().parent.parent
DEFINITIONS = REPO / "definitions"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# -- the scratch database ------------------------------------------------------------------


@contextmanager
def temporary_database(server_url: str, label: str = "bench") -> Iterator[URL]:
    """A database made for one run on the server at `server_url`, dropped (even with connections left) after it."""
    server = make_url(db.normalise_url(server_url))
    name = f"cycle_bench_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# -- the machine ---------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """'2 CPUs (model), load average 0.52 0.40 0.31': the line every report opens with."""
    return f"{os.cpu_count()} CPUs ({cpu_model()}), load average {load()}"


def proc_stats() -> Iterator[tuple[int, int, float]]:
    """(pid, process group, CPU seconds used) of every process of this machine."""
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(entry.name), int(fields[2]), (int(fields[11]) + int(fields[12])) / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- timing --------------------------------------------------------------------------------


def rounds(work: Callable[[], Any], count: int, warmup: int = 0) -> list[float]:
    """Wall seconds of each of `count` runs of `work`, after `warmup` runs that are not kept."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile, linear between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


def wait_for(done: Callable[[], bool], what: str, timeout: float, check: Callable[[], None] = lambda: None,
             poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


# -- worker processes ----------------------------------------------------------------------


class Process:
    """A child process (a worker, a scheduler) in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as handle:
            self.popen = subprocess.Popen(argv, env=env, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def check(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"the {self.name} exited ({self.popen.returncode}):\n{self.output()[-3000:]}")

    def wait_for_line(self, marker: str, timeout: float = 60.0) -> None:
        wait_for(lambda: marker in self.output(), f"the {self.name} to start ({marker!r} in {self.log})",
                 timeout, self.check, poll=0.1)

    def cpu_seconds(self) -> float:
        """CPU used so far by every live process of its group (a prefork worker and its children)."""
        return sum(cpu for _, pgrp, cpu in proc_stats() if pgrp == self.popen.pid)

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=20)
            except ProcessLookupError:
                pass


# -- the report ----------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned, widths to fit."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- running -------------------------------------------------------------------------------


def arguments(prog: str, description: str, *, redis_url: str | None = None) -> argparse.ArgumentParser:
    """The benchmark's command line with the services it uses: --database-url, and --redis-url if it has a broker."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--database-url", default=DEFAULT_SERVER,
                        help="the PostgreSQL server: the benchmark creates its own database there and drops it "
                             "at the end (default: %(default)s)")
    if redis_url is not None:
        parser.add_argument("--redis-url", default=redis_url,
                            help="the broker; the benchmark uses its own queues there (default: %(default)s)")
    return parser


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}; cleaning up")


def main(run: Callable[[argparse.Namespace], None], args: argparse.Namespace) -> None:
    """Run a benchmark; a PostgreSQL or Redis that cannot be used ends it with one sentence, not a traceback.

    A plain `kill` (SIGTERM) unwinds like Ctrl-C, so the benchmark's finally blocks drop what it made.
    """
    import redis

    signal.signal(signal.SIGTERM, _terminated)
    try:
        run(args)
    except sqlalchemy.exc.OperationalError as exc:
        database_url = getattr(args, "database_url", None) or DEFAULT_SERVER
        server = make_url(db.normalise_url(database_url)).render_as_string(hide_password=True)
        raise SystemExit(f"error: PostgreSQL at {server} could not be used ({exc.orig or exc}); start it with "
                         "'make services' or give --database-url") from None
    except redis.RedisError as exc:
        raise SystemExit(f"error: Redis at {getattr(args, 'redis_url', '?')} could not be used ({exc}); start it "
                         "with 'make services' or give --redis-url") from None
