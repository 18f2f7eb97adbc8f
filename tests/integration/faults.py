"""The faults the seeded fault test injects, and the record of each: when it struck, when it ended, whether
`cycle health` flagged it meanwhile, and how long the installation took to catch up."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from tests.conftest import REPO
from tests.integration.postgres_server import PostgresCluster
from tests.integration.workers import RedisServer, Worker
from workflow.app import App
from workflow.store.models import Mail

KINDS = ("redis", "postgres", "consumer", "mid_send")
TITLES = {"redis": "Redis SIGKILLed, started again empty", "postgres": "PostgreSQL stopped with -m immediate",
          "consumer": "a worker's consumer SIGKILLed (its supervisor restarts it)",
          "mid_send": "the pool processes SIGKILLed while an email was between DATA and the 250"}


@dataclass
class Fault:
    kind: str
    started: float = 0.0
    ended: float = 0.0
    recovered: float | None = None  # seconds from the fault's end until the work it interrupted was done
    flagged: list[str] = field(default_factory=list)  # what `cycle health` said while it lasted
    mail_id: int | None = None  # mid_send: the email that was being handed over
    reconnected: float = 0.0  # redis: seconds from its restart until every worker consumed from it again


def health(env: dict[str, str]) -> tuple[int, str]:
    """`cycle health` as an operator runs it: its exit status and everything it printed."""
    done = subprocess.run([sys.executable, "-m", "tasks", "health", "--sending", "3", "--heartbeat", "30"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def data_phase(app: App) -> int | None:
    """An email whose SMTP DATA has begun and whose answer is not yet recorded, if there is one now."""
    try:
        with app.engine.sessions() as session:
            return session.scalar(select(Mail.id).where(Mail.status == "sending", Mail.phase == "data").limit(1))
    except Exception:
        return None


class Injector:
    """Runs the faults of a seeded plan, one at a time, at moments the plan's random numbers choose."""

    def __init__(self, rng: random.Random, app: App, env: dict[str, str], redis: RedisServer,
                 postgres: PostgresCluster, workers: list[Worker]) -> None:
        self.rng, self.app, self.env = rng, app, env
        self.redis, self.postgres, self.workers = redis, postgres, workers
        self.done: list[Fault] = []

    def _flag(self, fault: Fault, expect: str, timeout: float = 20.0) -> None:
        """Run `cycle health` until it reports `expect` (and exits non-zero), as a monitoring check would."""
        give_up = time.monotonic() + timeout
        said = ""
        while time.monotonic() < give_up:
            code, said = health(self.env)
            if code != 0 and expect in said:
                at = said.find(expect)
                fault.flagged.append(said[max(0, at - 100):at + 160])  # the problem line that names it
                return
            time.sleep(0.5)
        fault.flagged.append(f"NOT FLAGGED (wanted '{expect}'): {said}")

    def redis_outage(self, fault: Fault) -> None:
        connected = [w.output().count("Connected to redis") for w in self.workers]
        self.redis.kill()
        fault.started = time.monotonic()
        self._flag(fault, "the broker at")
        time.sleep(max(self.rng.uniform(5, 10) - (time.monotonic() - fault.started), 0))
        self.redis.start()
        fault.ended = time.monotonic()
        fault.reconnected = wait_for(lambda: all(w.output().count("Connected to redis") > n
                                                 for w, n in zip(self.workers, connected, strict=True)),
                                     90, lambda: None)

    def postgres_outage(self, fault: Fault) -> None:
        self.postgres.stop_immediately()
        fault.started = time.monotonic()
        self._flag(fault, "cannot use the database")
        time.sleep(max(self.rng.uniform(4, 8) - (time.monotonic() - fault.started), 0))
        self.postgres.start()
        fault.ended = time.monotonic()

    def consumer_kill(self, fault: Fault) -> None:
        worker = self.rng.choice(self.workers)
        # Early in a run on a loaded machine the supervisor may not have started its consumer yet: the fault is
        # a consumer killed at work, so wait until it has its pool.
        wait_for(lambda: any(worker.children(c) for c in worker.children()), 90, worker.check)
        consumers = worker.children()
        os.kill(consumers[0], signal.SIGKILL)
        fault.started = fault.ended = time.monotonic()
        self._flag(fault, "its consumer died and was restarted")

    def mid_send_kill(self, fault: Fault, wait: float = 15.0) -> bool:
        """SIGKILL every pool process once an email is between DATA and its 250; False if none came."""
        give_up = time.monotonic() + wait
        while (mail_id := data_phase(self.app)) is None:
            if time.monotonic() > give_up:
                return False
            time.sleep(0.01)
        for worker in self.workers:
            for consumer in worker.children():
                for pool_process in worker.children(consumer):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pool_process, signal.SIGKILL)
        fault.started = fault.ended = time.monotonic()
        fault.mail_id = mail_id
        # If the 250 came before the kill landed, the worker noted it in its journal and the next delivery pass
        # records it `sent` within a moment, with no copy: that was not a cut hand-over, and the plan tries again.
        settled_by = time.monotonic() + 2.5
        while time.monotonic() < settled_by:
            with self.app.engine.sessions() as session:
                if session.scalar(select(Mail.status).where(Mail.id == mail_id)) == "sent":
                    return False
            time.sleep(0.1)
        self._flag(fault, f"cycle mail show {mail_id}")
        return True

    def inject(self, kind: str) -> Fault | None:
        fault = Fault(kind)
        time.sleep(self.rng.uniform(0, 1.5))  # somewhere in the work this moment asked for, not before it
        if kind == "mid_send":
            if not self.mid_send_kill(fault):
                return None
        else:
            {"redis": self.redis_outage, "postgres": self.postgres_outage,
             "consumer": self.consumer_kill}[kind](fault)
        self.done.append(fault)
        return fault


def wait_for(done: Callable[[], bool], timeout: float, check: Callable[[], None]) -> float:
    """Seconds until `done()` (a database error counts as not yet); raises after `timeout`."""
    started = time.monotonic()
    while True:
        try:
            if done():
                return time.monotonic() - started
        except Exception:
            pass
        check()
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not done after {timeout:.0f} s")
        time.sleep(0.1)
