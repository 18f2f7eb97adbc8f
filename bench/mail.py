"""Reminder email through real workers: latency from a command's commit to the inbox, and throughput.

Run it with `.venv/bin/python bench/mail.py` (`--help` for the options). It needs PostgreSQL
(it creates its own database on the server given by --database-url and drops it at the end)
and Redis (--redis-url; it only touches keys carrying this run's token, and deletes them at
the end). Everything else it starts itself: an aiosmtpd SMTP server on loopback, in a thread
of this process, and the worker processes, stopped in a `finally`.

What it measures (docs/performance.md, section "Mail", says more):

1. Latency. `python -m tasks worker --no-beat` and `python -m tasks scheduler` run on the
   scratch database with CYCLE_CLOCK=shared, CYCLE_SMTP_URL at the test server and
   CYCLE_RELAY_INTERVAL = CYCLE_SWEEP_INTERVAL = --interval. The benchmark starts --rate times
   --seconds cycles through `Engine.start`, as `cycle start` does, as a Poisson stream of mean
   --rate (seeded exponential gaps: evenly spaced starts would all meet the scheduler's ticks
   at the same phase, and the figures would depend on that phase). The cycles are of
   small benchmark definitions written to a temporary folder: one stage, due on a fixed date
   (an ISO date, the same whatever the cycle year), owned by one officer, with one reminder
   rule `on_due` to the owner; years 2000 to 2100 of each definition give 101 cycles each. The
   shared clock is set once, to 09:00 on that date, so each cycle's reminder is due the
   moment the cycle starts. For each cycle the product chain then runs unchanged: the commit
   writes CycleStarted and StageEntered to the outbox; a relay tick publishes them; a worker
   runs `cycle.handle_event` (the deadlines and reminders handlers plan the stage's deadline
   rows, the reminder due now among them); a sweep tick claims that reminder, renders it and
   writes its mail row, then queues `cycle.deliver_mail` at once; that task claims the row and
   sends it over SMTP. Latency is from `Engine.start` returning (its transaction committed) to
   the SMTP server's DATA handler receiving the message, matched on the cycle key the
   benchmark's subject template carries; both clocks are this process's `time.perf_counter`.
   From the rows' wall-clock stamps (outbox dispatched_at and handled_at, mail claimed_at)
   the latency is split into the legs of the chain, and from the worker's log (Celery's
   "Task ... succeeded in Xs" lines) each task's own run time is given, busy and idle.

2. Throughput. With the scheduler stopped (nothing periodic runs), --mails mail rows are
   inserted in one statement, copies of a reminder rendered in part 1 (each its own key and
   Message-ID, status pending, due now). Timed from the first task published to the last
   message received by the SMTP server:
   - deliver_one: one `cycle.deliver_one` task per row (one task per email, like the baseline);
   - deliver_mail: ceil(mails / 100) `cycle.deliver_mail` tasks, each sending up to 100 rows
     (the task the sweep and the timer use);
   - no-op: the same number of `bench.noop` tasks as deliver_one, through the same Redis, to a
     worker started the same way (bench/mail_worker.py: the product's app plus that task), each
     incrementing a Redis counter, timed until the last one has run.
   Both workers run `--pool/--concurrency/--loglevel` as given, and the rounds alternate.

Timings are medians of the rounds (part 2) and percentiles of all events (part 1), after a
warm-up; nothing is asserted about them.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/transitions.py would
# shadow the `transitions` library the engine imports. Take it off.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import datetime as dt
import email
import email.policy
import math
import os
import platform
import random
import re
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import celery
import redis
import sqlalchemy
from aiosmtpd.controller import Controller
from sqlalchemy import URL, create_engine, insert, select, text

from bench.harness import (
    Process,
    arguments,
    free_port,
    load,
    machine,
    ms,
    percentile,
    proc_stats,
    temporary_database,
    wait_for,
)
from bench.harness import main as run_main
from notifications.reminders import message_id
from tasks.app import DELIVER_MAIL, DELIVER_ONE, create_app
from workflow.app import App, build
from workflow.settings import Settings
from workflow.store import db
from workflow.store.models import Cycle, Mail, OutboxEvent
from workflow.time.clock import at_local

REPO = Path(__file__).resolve().parent.parent
DEFINITIONS = REPO / "definitions"

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # cycle keys are '<definition>-<year>'; the engine plans these years
DUE = dt.date(2021, 7, 15)  # a Thursday, a working day: the reminder goes at 09:00 on it
ACTOR = "bench_officer"
DELIVER_BATCH = 100  # Delivery.deliver_due's default limit, which cycle.deliver_mail uses
NOOP = "bench.noop"  # registered by bench/mail_worker.py

DEFINITION = """\
id: {id}
title: Mail benchmark {n}
version: 1
cycle:
  starts_in: July
roles:
  officer: Owns the one stage
people:
  bench_officer:
    title: Benchmark officer
    email: bench.officer@example.org
    roles: [officer]
permissions:
  start: [officer]
  decide: [officer]
  attach: [officer]
initial: report
stages:
  report:
    title: Quarterly report
    owner: officer
    due: {due}
    reminders: [report_due]
  done:
    title: Done
    final: true
transitions:
  - {{trigger: finish, source: report, dest: done, roles: [officer]}}
reminders:
  report_due:
    template: bench_reminder
    to: [owner]
    on_due: true
"""
# The benchmark's reminder template is the shipped officer reminder, with the cycle key put in
# front of the subject to match each email to its cycle.


# -- small helpers ---------------------------------------------------------------------------


def backends_cpu(app: App) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend on the scratch database (same host only)."""
    with app.database.connect() as connection:
        pids = set(connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars())
    return {pid: cpu for pid, _, cpu in proc_stats() if pid in pids}


# -- the SMTP server -------------------------------------------------------------------------


@dataclass
class Arrival:
    subject: str
    message_id: str
    at: float  # time.perf_counter() in the DATA handler


class Inbox:
    """aiosmtpd handler: keeps subject, Message-ID and arrival time; signals a target count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.target = 0
        self.reached = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        # Only the headers are parsed: the bodies are not needed to match a message.
        head = email.message_from_bytes(envelope.content.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n",
                                        policy=email.policy.default)
        arrival = Arrival(" ".join(str(head["Subject"] or "").split()), str(head["Message-ID"] or ""), at)
        with self.lock:
            self.arrivals.append(arrival)
            if self.target and len(self.arrivals) >= self.target:
                self.reached.set()
        return "250 Message accepted for delivery"

    def reset(self, target: int = 0) -> None:
        with self.lock:
            self.arrivals = []
            self.target = target
            self.reached.clear()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # server_hostname: else aiosmtpd calls socket.getfqdn() for every connection.
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="localhost")
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# -- worker processes ------------------------------------------------------------------------


@dataclass
class Run:
    """One benchmark run's names and places, so everything it creates can be found and removed."""

    args: argparse.Namespace
    url: URL
    work: Path
    token: str = field(default_factory=lambda: f"benchmail-{uuid.uuid4().hex[:10]}")

    @property
    def db_url(self) -> str:
        return self.url.render_as_string(hide_password=False)

    @property
    def queue(self) -> str:
        return f"{self.token}-cycle"

    @property
    def noop_queue(self) -> str:
        return f"{self.token}-noop"

    def env(self, queue: str, smtp_url: str, interval: float) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLE_")}
        env.update({
            "CYCLE_DATABASE_URL": self.db_url, "CYCLE_BROKER_URL": self.args.redis_url, "CYCLE_CLOCK": "shared",
            "CYCLE_QUEUE": queue, "CYCLE_DATA_DIR": str(self.work / "worker-data"),
            "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_SMTP_URL": smtp_url,
            "CYCLE_RELAY_INTERVAL": str(interval), "CYCLE_SWEEP_INTERVAL": str(interval),
        })
        return env

    def worker_argv(self) -> list[str]:
        a = self.args
        return ["--pool", a.pool, "--concurrency", str(a.concurrency), "--loglevel", a.loglevel]

    def product_worker(self, smtp_url: str) -> Process:
        argv = [sys.executable, "-m", "tasks", "worker", "--no-beat", *self.worker_argv(),
                "--hostname", f"{self.token}-worker@%h"]
        return Process("worker", argv, self.env(self.queue, smtp_url, self.args.interval[0]),
                       self.work / "worker.log")

    def scheduler(self, smtp_url: str, interval: float) -> Process:
        argv = [sys.executable, "-m", "tasks", "scheduler", "--loglevel", "INFO"]
        return Process("scheduler", argv, self.env(self.queue, smtp_url, interval),
                       self.work / f"scheduler-{interval}.log")

    def noop_worker(self, smtp_url: str) -> Process:
        argv = [sys.executable, str(_HERE / "mail_worker.py"), *self.worker_argv(),
                "--hostname", f"{self.token}-noop@%h"]
        return Process("no-op worker", argv, self.env(self.noop_queue, smtp_url, self.args.interval[0]),
                       self.work / "noop-worker.log")


WORKER_READY = " ready."  # Celery's "celery@host ready." once it consumes
SCHEDULER_READY = "this process is the scheduler"  # tasks/leader.py, once it holds the lock


# -- part 1: latency -------------------------------------------------------------------------


def write_definitions(folder: Path, count: int) -> list[Path]:
    # The shipped templates (the reminder includes partials such as _meeting.txt.j2 and email.css.j2).
    shutil.copytree(DEFINITIONS / "templates", folder / "templates")
    for part in ("txt", "html"):
        shutil.copy(DEFINITIONS / "templates" / f"reminder_officer.{part}.j2",
                    folder / "templates" / f"bench_reminder.{part}.j2")
    subject = (DEFINITIONS / "templates" / "reminder_officer.subject.j2").read_text()
    (folder / "templates" / "bench_reminder.subject.j2").write_text("{{ cycle.key }}: " + subject)
    paths = []
    for n in range(count):
        path = folder / f"bench_mail_{n:02d}.yaml"
        path.write_text(DEFINITION.format(id=f"bench_mail_{n:02d}", n=n, due=DUE.isoformat()))
        paths.append(path)
    return paths


class Cycles:
    """Hands out (definition file, year) pairs never started before: 101 per definition."""

    per_definition = LAST_YEAR - FIRST_YEAR + 1

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.used = 0

    def take(self, n: int) -> list[tuple[Path, int]]:
        """The next n, round-robin over the definitions: the first len(paths) are one of each."""
        picked = []
        for i in range(self.used, self.used + n):
            year, offset = divmod(i, len(self.paths))
            if year >= self.per_definition:
                raise RuntimeError("not enough distinct cycles: raise the number of definitions")
            picked.append((self.paths[offset], FIRST_YEAR + year))
        self.used += n
        return picked


@dataclass
class Started:
    key: str
    commit: float  # perf_counter once Engine.start returned
    took: float  # how long Engine.start took, in this process
    wall: dt.datetime  # the same moment by the wall clock, to set against the rows' timestamps


def start_at_rate(app: App, cycles: list[tuple[Path, int]], rate: float, rng: random.Random,
                  check: Callable[[], None]) -> list[Started]:
    """Start the cycles as a Poisson stream of mean `rate`: exponential gaps, from a seeded generator.

    Evenly spaced starts would meet the scheduler's ticks at one phase only (at 5/s, every start
    falls at the same point of a 0.1 s tick), and the latency would measure that phase.
    """
    started: list[Started] = []
    due = time.perf_counter()
    for i, (path, year) in enumerate(cycles):
        due += rng.expovariate(rate)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        before = time.perf_counter()
        fired = app.engine.start(str(path), year, ACTOR, outside_folder=True)
        after = time.perf_counter()
        started.append(Started(fired.cycle, commit=after, took=after - before, wall=dt.datetime.now(dt.UTC)))
        if i % 20 == 0:
            check()
    return started


def await_mail(inbox: Inbox, keys: list[str], timeout: float, check: Callable[[], None]) -> dict[str, float]:
    """Arrival time of the first email of each cycle, waiting until all have come."""
    wanted = set(keys)

    def arrived() -> dict[str, float]:
        first: dict[str, float] = {}
        for a in inbox.snapshot():
            key = a.subject.split(":", 1)[0]
            if key in wanted and key not in first:
                first[key] = a.at
        return first

    try:
        wait_for(lambda: len(arrived()) == len(wanted), f"{len(wanted)} reminders to arrive", timeout, check)
    except RuntimeError:
        found = arrived()
        print(f"  warning: {len(wanted) - len(found)} of {len(wanted)} reminders did not arrive in {timeout:.0f} s")
        return found
    return arrived()


TASK_LINE = re.compile(r"Task (\S+)\[[0-9a-f-]+\] succeeded in ([0-9.e-]+)s: (.*)$")


def task_times(log: str) -> dict[str, list[float]]:
    """Run times from Celery's 'succeeded' lines, by task; the polling tasks split busy from idle."""
    found: dict[str, list[float]] = {}
    for line in log.splitlines():
        m = TASK_LINE.search(line)
        if not m:
            continue
        name, seconds, result = m.group(1), float(m.group(2)), m.group(3).strip()
        short = name.removeprefix("cycle.")
        if short in ("relay", "sweep", "deliver_mail"):
            short += " (idle)" if result == "0" else " (busy)"
        elif short == "handle_event":
            short += " (StageEntered)" if "reminders" in result else " (other)"
        found.setdefault(short, []).append(seconds)
    return found


@dataclass
class Latency:
    interval: float
    rate: float
    seconds: float
    events: int
    missing: int
    latencies: list[float]
    legs: dict[str, list[float]]
    tasks: dict[str, list[float]]
    worker_cpu: float  # CPU seconds of the worker's processes per wall second, over the timed window
    scheduler_cpu: float
    database_cpu: float  # the same for PostgreSQL's backends on the scratch database
    start_ms: float  # median Engine.start in this process


def legs_from_rows(app: App, started: list[Started], arrivals: dict[str, float]) -> dict[str, list[float]]:
    """Split each latency by the rows' wall-clock stamps (all on this machine's clock)."""
    commit = {s.key: s for s in started}
    legs: dict[str, list[float]] = {"commit -> relay picks it up": [], "relay -> event handled": [],
                                    "event handled -> delivery claims the mail": [],
                                    "claim -> SMTP server has the message": []}
    with app.engine.sessions() as session:
        rows = session.execute(
            select(Cycle.key, OutboxEvent.dispatched_at, OutboxEvent.handled_at, Mail.claimed_at)
            .join(OutboxEvent, (OutboxEvent.cycle_id == Cycle.id) & (OutboxEvent.event_type == "StageEntered"))
            .join(Mail, Mail.cycle_id == Cycle.id)
            .where(Cycle.key.in_(list(commit)))
        ).all()
    for key, dispatched, handled, claimed in rows:
        s = commit[key]
        if key not in arrivals or None in (dispatched, handled, claimed):
            continue
        arrival_wall = s.wall + dt.timedelta(seconds=arrivals[key] - s.commit)
        legs["commit -> relay picks it up"].append((dispatched - s.wall).total_seconds())
        legs["relay -> event handled"].append((handled - dispatched).total_seconds())
        legs["event handled -> delivery claims the mail"].append((claimed - handled).total_seconds())
        legs["claim -> SMTP server has the message"].append((arrival_wall - claimed).total_seconds())
    return legs


def measure_latency(run: Run, app: App, smtp: SmtpServer, worker: Process, cycles: Cycles,
                    interval: float, warmup: int) -> Latency:
    a = run.args
    rng = random.Random(a.seed)
    scheduler = run.scheduler(smtp.url, interval)
    try:
        scheduler.wait_for_line(SCHEDULER_READY)

        def check() -> None:
            worker.check()
            scheduler.check()

        # Warm-up: the first cycle of every definition (each worker process builds its app and
        # parses each snapshot once), then more at the rate.
        warm = cycles.take(max(warmup, len(cycles.paths)) if cycles.used == 0 else warmup)
        print(f"  interval {interval} s: warm-up, {len(warm)} cycles", flush=True)
        done = start_at_rate(app, warm, a.rate, rng, check)
        await_mail(smtp.inbox, [s.key for s in done], 60, check)

        n = max(1, round(a.rate * a.seconds))
        print(f"  interval {interval} s: {n} cycles, Poisson arrivals at {a.rate:g}/s on average", flush=True)
        mark = len(worker.output())
        cpu0, sched0, db0, wall0 = worker.cpu_seconds(), scheduler.cpu_seconds(), backends_cpu(app), time.perf_counter()
        started = start_at_rate(app, cycles.take(n), a.rate, rng, check)
        span = started[-1].commit - started[0].commit
        arrivals = await_mail(smtp.inbox, [s.key for s in started], 60, check)
        wall = time.perf_counter() - wall0
        worker_cpu = (worker.cpu_seconds() - cpu0) / wall
        scheduler_cpu = (scheduler.cpu_seconds() - sched0) / wall
        db1 = backends_cpu(app)  # backends that came and went in between are not counted
        database_cpu = sum(cpu - db0[pid] for pid, cpu in db1.items() if pid in db0) / wall
        tasks = task_times(worker.output()[mark:])
    finally:
        scheduler.stop()
    # Timer tasks the scheduler sent and no worker took yet would run in part 2: let them drain.
    client = redis.Redis.from_url(a.redis_url)
    try:
        wait_for(lambda: client.llen(run.queue) == 0, "the scheduler's last tasks to be taken", 30, worker.check)
    finally:
        client.close()
    time.sleep(0.5)
    latencies = [arrivals[s.key] - s.commit for s in started if s.key in arrivals]
    return Latency(interval, (n - 1) / span if span > 0 else math.nan, span, n, n - len(latencies), latencies,
                   legs_from_rows(app, started, arrivals), tasks, worker_cpu, scheduler_cpu, database_cpu,
                   statistics.median(s.took for s in started) * 1000)


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


# -- reporting ------------------------------------------------------------------------------


def report_latency(results: list[Latency]) -> None:
    for r in results:
        lat = r.latencies
        print(f"\nLatency, relay and sweep every {r.interval:g} s: {r.events} cycles started in {r.seconds:.1f} s "
              f"({r.rate:.1f}/s, Poisson arrivals)" + (f"; {r.missing} reminders did NOT arrive" if r.missing else ""))
        print(f"  commit -> inbox   p50 {ms(percentile(lat, 50))} ms   p95 {ms(percentile(lat, 95))} ms   "
              f"min {ms(min(lat, default=math.nan))}   max {ms(max(lat, default=math.nan))} ms")
        print("  legs (from the rows' wall-clock stamps)          p50 ms   p95 ms")
        for leg, values in r.legs.items():
            print(f"    {leg:<45} {ms(percentile(values, 50)):>7}  {ms(percentile(values, 95)):>7}")
        print("  worker tasks in the window (Celery's run time)   count   p50 ms   p95 ms")
        for name in sorted(r.tasks):
            values = r.tasks[name]
            print(f"    {name:<45} {len(values):>6}  {ms(percentile(values, 50)):>7}  {ms(percentile(values, 95)):>7}")
        busy = ("relay (busy)", "handle_event (StageEntered)", "sweep (busy)", "deliver_mail (busy)")
        work = sum(percentile(r.tasks.get(name, []), 50) for name in busy)
        print(f"  the chain's own work, p50 run times of {', '.join(busy)}: {ms(work)} ms")
        print(f"  waiting for the relay tick and the sweep tick, if nothing else waited: {ms(r.interval)} ms on "
              f"average (half an interval each)")
        print(f"  CPU, averaged over the window: worker processes {r.worker_cpu:.2f} cores, scheduler "
              f"{r.scheduler_cpu:.2f}, PostgreSQL backends {r.database_cpu:.2f} (of {os.cpu_count()}); "
              f"Engine.start in the benchmark {r.start_ms:.1f} ms")


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


# -- the run ---------------------------------------------------------------------------------


def cleanup_redis(url: str, token: str) -> int:
    """Delete this run's keys (its queues, counters) and its entries in kombu's shared keys."""
    client = redis.Redis.from_url(url)
    removed = 0
    try:
        for key in list(client.scan_iter(match=f"*{token}*")):
            removed += int(client.delete(key))
        for key in list(client.scan_iter(match="_kombu.binding.*")):
            if client.type(key) == b"set":
                mine = [m for m in client.smembers(key) if token.encode() in m]
                if mine:
                    removed += int(client.srem(key, *mine))
        for tag, payload in client.hscan_iter("unacked"):
            if token.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
                removed += 1
    finally:
        client.close()
    return removed


def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="cycle-bench-mail-"))
    began = time.perf_counter()
    token = ""
    try:
        with temporary_database(args.database_url) as url:
            this = Run(args, url, work)
            token = this.token
            run_on(this)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if token:
            cleanup_redis(args.redis_url, token)
    print(f"\ntotal {time.perf_counter() - began:.0f} s; the scratch database, the Redis keys of the run "
          "and the worker processes are gone")


def run_on(run: Run) -> None:
    a = run.args
    with create_engine(run.url).connect() as connection:
        server = {name: str(connection.execute(text(f"SHOW {name}")).scalar_one())
                  for name in ("server_version", "synchronous_commit")}
    info = redis.Redis.from_url(a.redis_url).info("server")
    print(f"strategy-cycle mail benchmark, {dt.date.today().isoformat()}")
    print(f"  machine:    {machine()}")
    print(f"  software:   Python {platform.python_version()}, Celery {celery.__version__}, "
          f"redis-py {redis.__version__}, SQLAlchemy {sqlalchemy.__version__}")
    print(f"  PostgreSQL: {server['server_version']}, synchronous_commit={server['synchronous_commit']}; "
          f"scratch database {run.url.database}")
    print(f"  Redis:      {info.get('redis_version')} at {a.redis_url}; queues {run.queue}, {run.noop_queue}")
    print(f"  workers:    --pool {a.pool} --concurrency {a.concurrency} --loglevel {a.loglevel}")

    migrate = db.make_engine(run.db_url)
    db.upgrade(migrate)
    db.mark_rehearsal(migrate)  # a scratch database on simulated time
    migrate.dispose()

    total = len(a.interval) * (max(a.warmup, 1) + round(a.rate * a.seconds))
    paths = write_definitions(run.work / "definitions", math.ceil(total / Cycles.per_definition) + 1)
    cycles = Cycles(paths)
    settings = Settings(data_dir=run.work / "data", database_url=run.db_url, definitions_dir=DEFINITIONS,
                        shared_clock=True)
    app = build(settings)
    app.engine.clock.set(at_local(DUE, 9))  # type: ignore[attr-defined]
    with ExitStack() as stack:
        stack.callback(app.close)
        smtp = SmtpServer()
        smtp.start()
        stack.callback(smtp.stop)
        worker = run.product_worker(smtp.url)
        stack.callback(worker.stop)
        sender = create_app(Settings.from_env(run.env(run.queue, smtp.url, a.interval[0])))
        stack.callback(sender.close)
        worker.wait_for_line(WORKER_READY)

        print(f"\npart 1, latency: {len(paths)} definitions in {paths[0].parent}", flush=True)
        latencies = [measure_latency(run, app, smtp, worker, cycles, interval, a.warmup) for interval in a.interval]
        smtp.inbox.reset()
        print("\npart 2, throughput", flush=True)
        throughput = measure_throughput(run, app, smtp, worker, sender)
    print(f"\nload average after: {load()}")
    report_latency(latencies)
    report_throughput(throughput, a)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments("bench/mail.py", "Reminder email through real workers, Redis, PostgreSQL and SMTP: "
                       "commit-to-inbox latency, and emails per second against no-op Celery tasks.",
                       redis_url=DEFAULT_REDIS)
    parser.add_argument("--rate", type=float, default=5.0, help="cycles started per second (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long cycles are started for, at each interval: --rate times this many cycles "
                             "(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the Poisson arrivals, the same for each interval (default: %(default)s)")
    parser.add_argument("--interval", type=float, nargs="+", default=[0.1, 0.05],
                        help="CYCLE_RELAY_INTERVAL and CYCLE_SWEEP_INTERVAL of the scheduler, seconds; several "
                             "values measure the latency at each in turn (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed cycles before each latency run "
                                                                "(default: %(default)s)")
    parser.add_argument("--mails", type=int, default=400,
                        help="emails (and no-op tasks) per throughput round (default: %(default)s)")
    parser.add_argument("--warmup-mails", type=int, default=50,
                        help="untimed emails and no-op tasks before the rounds (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default: %(default)s)")
    parser.add_argument("--pool", choices=["prefork", "threads", "solo"], default="prefork",
                        help="both workers' pool, as `cycle worker --pool` (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=2, help="both workers' processes (default: %(default)s)")
    parser.add_argument("--loglevel", default="INFO", help="both workers' log level; the latency breakdown by "
                                                           "task needs INFO (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or any(i <= 0 for i in args.interval):
        parser.error("--rate, --seconds and --interval must be more than 0")
    if args.mails < 1 or args.rounds < 1 or args.warmup < 0 or args.warmup_mails < 1 or args.concurrency < 1:
        parser.error("--mails, --rounds, --warmup-mails and --concurrency must be at least 1, --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> None:
    run_main(run, parse_args(argv))


if __name__ == "__main__":
    main()
