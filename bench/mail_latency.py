"""Part 1 of the mail benchmark: latency from a command's commit to the inbox, and its report."""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import re
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import select

from bench.harness import (
    DEFINITIONS,
    Process,
    ms,
    percentile,
    wait_for,
)
from bench.mail_setup import (
    ACTOR,
    DEFINITION,
    DUE,
    FIRST_YEAR,
    LAST_YEAR,
    SCHEDULER_READY,
    Inbox,
    Run,
    SmtpServer,
    backends_cpu,
)
from workflow.app import App
from workflow.store.models import Cycle, Mail, OutboxEvent

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
        fired = app.engine.start(path, year, ACTOR, outside_folder=True)
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
