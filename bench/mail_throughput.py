"""Part 2 of the mail benchmark: emails per second against no-op Celery tasks, and its report."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import celery
import redis
from sqlalchemy import insert, select

from bench.harness import (
    Process,
    wait_for,
)
from bench.mail_setup import (
    DELIVER_BATCH,
    NOOP,
    WORKER_READY,
    Run,
    SmtpServer,
    backends_cpu,
)
from notifications.reminders import message_id
from tasks.app import DELIVER_MAIL, DELIVER_ONE
from workflow.app import App
from workflow.store.models import Mail

# -- part 2: throughput ----------------------------------------------------------------------


@dataclass
class Round:
    rate: float  # operations per second
    worker_cpu: float  # CPU seconds per operation: the worker's processes
    bench_cpu: float  # this process: publishing the tasks, and the SMTP server's thread
    database_cpu: float  # the PostgreSQL backends of the scratch database


@dataclass
class Throughput:
    mails: int
    rounds: dict[str, list[Round]]  # label -> one per round


class CpuMeter:
    """CPU used by the worker, this process and PostgreSQL between start() and stop(n)."""

    def __init__(self, app: App, worker: Process) -> None:
        self.app, self.worker = app, worker
        self.before: tuple[float, float, dict[int, float]] = (0.0, 0.0, {})

    def start(self) -> None:
        self.before = (self.worker.cpu_seconds(), time.process_time(), backends_cpu(self.app))

    def stop(self, rate: float, n: int) -> Round:
        w0, p0, d0 = self.before
        w1, p1, d1 = self.worker.cpu_seconds(), time.process_time(), backends_cpu(self.app)
        database = sum(cpu - d0[pid] for pid, cpu in d1.items() if pid in d0)
        return Round(rate, (w1 - w0) / n, (p1 - p0) / n, database / n)


def queue_mail(app: App, template: dict[str, Any], label: str, n: int) -> list[int]:
    """Insert n copies of a rendered reminder, pending and due now, in one statement."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    rows = []
    for i in range(n):
        key = f"bench:{label}:{i}"
        rows.append({**template, "key": key, "message_id": message_id(key), "status": "pending", "attempts": 0,
                     "next_attempt_at": now, "created_at": now, "claimed_at": None, "sent_at": None,
                     "last_error": None})
    with app.database.begin() as connection:
        return list(connection.scalars(insert(Mail).returning(Mail.id), rows))


def sent_count(app: App, ids: list[int]) -> int:
    with app.engine.sessions() as session:
        return len(session.scalars(select(Mail.id).where(Mail.id.in_(ids), Mail.status == "sent")).all())


def measure_throughput(run: Run, app: App, smtp: SmtpServer, worker: Process, sender: celery.Celery) -> Throughput:
    a = run.args
    noop = run.noop_worker(smtp.url)
    client = redis.Redis.from_url(a.redis_url)
    try:
        noop.wait_for_line(WORKER_READY)
        with app.engine.sessions() as session:
            model = session.scalars(select(Mail).order_by(Mail.id).limit(1)).one()
            template = {c.key: getattr(model, c.key) for c in Mail.__table__.columns if c.key != "id"}
        counter = 0

        def check() -> None:
            worker.check()
            noop.check()

        worker_meter, noop_meter = CpuMeter(app, worker), CpuMeter(app, noop)

        def mail_round(kind: str, n: int) -> Round:
            nonlocal counter
            counter += 1
            ids = queue_mail(app, template, f"{kind}{counter}", n)
            smtp.inbox.reset(target=n)
            worker_meter.start()
            t0 = time.perf_counter()
            if kind == "deliver_one":
                for mail_id in ids:
                    sender.send_task(DELIVER_ONE, args=[mail_id], queue=run.queue)
            else:
                for _ in range(math.ceil(n / DELIVER_BATCH)):
                    sender.send_task(DELIVER_MAIL, queue=run.queue)
            deadline = time.monotonic() + 120
            while not smtp.inbox.reached.wait(0.5):
                check()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"timed out waiting for {n} emails ({kind})")
            elapsed = smtp.inbox.snapshot()[n - 1].at - t0
            wait_for(lambda: sent_count(app, ids) == n, "the rows to be marked sent", 30, check, poll=0.01)
            measured = worker_meter.stop(n / elapsed, n)  # includes marking the last rows sent
            if smtp.inbox.count() != n:
                raise RuntimeError(f"{smtp.inbox.count()} emails arrived for {n} rows")
            return measured

        def noop_round(n: int) -> Round:
            nonlocal counter
            counter += 1
            key, done = f"{run.token}:count:{counter}", f"{run.token}:done:{counter}"
            noop_meter.start()
            t0 = time.perf_counter()
            for _ in range(n):
                sender.send_task(NOOP, args=[key, n, done], queue=run.noop_queue)
            deadline = time.monotonic() + 120
            while not client.blpop([done], timeout=0.5):
                check()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"timed out waiting for {n} no-op tasks")
            elapsed = time.perf_counter() - t0
            measured = noop_meter.stop(n / elapsed, n)
            client.delete(key, done)
            return measured

        kinds: list[tuple[str, Callable[[int], Round]]] = [
            ("deliver_one", lambda n: mail_round("deliver_one", n)),
            ("deliver_mail", lambda n: mail_round("deliver_mail", n)),
            ("no-op", noop_round),
        ]
        print(f"  warm-up: {a.warmup_mails} of each", flush=True)
        for _, fn in kinds:
            fn(a.warmup_mails)
        rounds: dict[str, list[Round]] = {label: [] for label, _ in kinds}
        print(f"  {a.rounds} rounds of {a.mails} emails (deliver_one, deliver_mail) and {a.mails} no-op tasks",
              flush=True)
        for _ in range(a.rounds):
            for label, fn in kinds:
                rounds[label].append(fn(a.mails))
        return Throughput(a.mails, rounds)
    finally:
        noop.stop()
        client.close()


def report_throughput(t: Throughput, args: argparse.Namespace) -> None:
    def med(label: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in t.rounds[label])

    rate = {label: med(label, "rate") for label in t.rounds}
    print(f"\nThroughput, {args.pool} pool, concurrency {args.concurrency}, loglevel {args.loglevel}; "
          f"medians of {args.rounds} rounds of {t.mails}; CPU ms per operation")
    print(f"  {'':<48} {'per s':>6} {'min-max':>11} {'worker':>7} {'bench':>6} {'PG':>6}")
    labels = {"deliver_one": "emails, one cycle.deliver_one task each",
              "deliver_mail": f"emails, cycle.deliver_mail tasks of up to {DELIVER_BATCH}",
              "no-op": "no-op Celery tasks (bench.noop)"}
    for label, rounds in t.rounds.items():
        rates = [r.rate for r in rounds]
        spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
        print(f"  {labels[label]:<48} {rate[label]:>6,.0f} {spread:>11} {med(label, 'worker_cpu') * 1000:>7.1f} "
              f"{med(label, 'bench_cpu') * 1000:>6.1f} {med(label, 'database_cpu') * 1000:>6.1f}")
    print("  (worker: the worker's processes; bench: this process, which publishes the tasks and runs the SMTP "
          "server; PG: the backends of the scratch database)")
    print(f"\n  ratio deliver_one / no-op    {rate['deliver_one'] / rate['no-op']:5.2f}")
    print(f"  ratio deliver_mail / no-op   {rate['deliver_mail'] / rate['no-op']:5.2f}")
    print(f"  wall time per operation: deliver_one {1000 / rate['deliver_one']:.1f} ms, deliver_mail "
          f"{1000 / rate['deliver_mail']:.1f} ms, no-op task {1000 / rate['no-op']:.1f} ms "
          f"(with {args.concurrency} worker processes)")
