"""Events through the outbox relay and a real worker, against no-op Celery tasks on the same broker.

Run it with `.venv/bin/python bench/relay.py` (`--help` for the options). It creates its own
database on the server given by --database-url (dropped at the end), uses its own queues on
the Redis given by --redis-url (deleted at the end), and starts two worker processes, which
it stops at the end, even when the run fails or is interrupted.

What it measures, in rounds that alternate between three workloads:

- events, no handlers: N outbox events of a type no handler listens to (`CycleStarted`;
  every type but StageEntered is handled this way). The benchmark process calls
  `workflow.store.outbox.relay(engine, publish)` until every row is published, with the `publish`
  of the product's `cycle.relay` task (`handle_event.apply_async(args=[event_id],
  headers={"event_type": ...})`) on a Celery app from `tasks.app.create_app`. A
  `python -m tasks worker` runs `cycle.handle_event` for each: `Handlers.handle` reads the
  event and marks it handled. Timed from the first relay call until no row of the round is
  left with `handled_at` empty (the benchmark polls the database).
- events, StageEntered: the same with N `StageEntered` events, each the latest entry of its
  own `community_safety_strategy` cycle into 'early_findings', so both of the worker's
  handlers do their real work: `plan_stage` (its overdue deadline) and `reminders.plan` (the
  stage's reminder deadlines), each in its own transaction with its `effects` row.
- no-op tasks (the baseline): N tasks `bench.noop` sent with `apply_async` on the same kind
  of app, to a second worker started the same way and with the same options
  (`bench/noop_app.py worker ...`, which is `cycle worker` with one task added); the task
  increments a Redis counter. Timed from the first send until the counter reaches N.

Both workers run throughout, on their own queues; the one not in use waits on the broker.
The figures are medians of the rounds, after a warm-up round of each workload. Cycles for
the StageEntered events are made in bulk: one cycle is started through `Engine.start`, which
stores the definition; its stored row is cloned under other ids (the cycle key
`<definition>-<year>` is unique and years run from 2000 to 2100), and the cycles are written
with INSERT ... SELECT. Each round writes new events for them, so each is again the latest.

The cycles, events, worker environments and Redis clean-up are in bench/relay_setup.py.
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
import importlib.util
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import celery
import redis
import sqlalchemy
from sqlalchemy import URL

from bench.harness import (
    DEFINITIONS,
    Process,
    arguments,
    machine,
    temporary_database,
)
from bench.harness import main as run_main
from bench.relay_setup import (
    DEFAULT_REDIS,
    SHIPPED,
    UNHANDLED,
    YEARS,
    add_events,
    clean_redis,
    fill,
    wait_until,
    worker_env,
    worker_options,
)
from tasks.app import HANDLE_EVENT, create_app
from workflow.app import App, build
from workflow.settings import Settings
from workflow.store import db
from workflow.store.outbox import relay

WORKLOADS = {
    "noop": "no-op Celery task (bench.noop)",
    "plain": "event, no handlers (CycleStarted)",
    "stage": "event, StageEntered: deadlines + reminders",
}


def _noop_module() -> Any:
    """bench/noop_app.py, loaded by path (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_noop_app", _HERE / "noop_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


noop_app = _noop_module()


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    n: int
    wall: float
    publish: float  # until the last message was sent
    worker_cpu: float

    @property
    def rate(self) -> float:
        return self.n / self.wall


@dataclass
class Bench:
    args: argparse.Namespace
    app: App
    events: celery.Celery  # one app publishes both, as the product's relay task does
    noop_task: Any
    noop_queue: str
    client: redis.Redis
    counter: str
    cycle_ids: list[int]
    workers: dict[str, Process]
    poller: sqlalchemy.Connection  # one autocommit connection held for polling, so polls stay cheap
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def unhandled(self) -> int:
        return int(self.poller.execute(UNHANDLED).scalar_one())

    def publish(self, event_id: int, event_type: str) -> None:
        # What the product's cycle.relay task publishes (tasks.app.create_app, relay_outbox).
        self.events.tasks[HANDLE_EVENT].apply_async(args=[event_id], headers={"event_type": event_type})

    def run_events(self, event_type: str, n: int) -> Sample:
        ids = self.cycle_ids[:n]
        add_events(self.app, event_type, ids)
        worker = self.workers["cycle"]
        cpu0 = worker.cpu_seconds()
        t0 = time.perf_counter()
        while relay(self.app.engine, self.publish, limit=self.args.relay_limit):
            pass
        published = time.perf_counter() - t0
        wait_until(lambda: self.unhandled() == 0, f"{n} {event_type} events to be handled",
                   self.args.timeout, [worker])
        wall = time.perf_counter() - t0
        return Sample(len(ids), wall, published, worker.cpu_seconds() - cpu0)

    def run_noops(self, n: int) -> Sample:
        self.client.set(self.counter, 0)
        worker = self.workers["noop"]
        cpu0 = worker.cpu_seconds()
        t0 = time.perf_counter()
        for _ in range(n):
            self.noop_task.apply_async(args=[self.counter], queue=self.noop_queue)
        published = time.perf_counter() - t0
        wait_until(lambda: int(self.client.get(self.counter) or 0) >= n, f"{n} no-op tasks to run",
                   self.args.timeout, [worker])
        wall = time.perf_counter() - t0
        return Sample(n, wall, published, worker.cpu_seconds() - cpu0)

    def one(self, workload: str, n: int) -> Sample:
        if workload == "noop":
            return self.run_noops(n)
        return self.run_events("CycleStarted" if workload == "plain" else "StageEntered", n)


def run_on(args: argparse.Namespace, url: URL, work_dir: Path, stack: ExitStack) -> Bench:
    migrate = db.make_engine(url.render_as_string(hide_password=False))
    db.upgrade(migrate)
    db.mark_rehearsal(migrate)  # a scratch database on simulated time
    migrate.dispose()
    tag = uuid.uuid4().hex[:8]
    queues = {"cycle": f"bench-relay-{tag}", "noop": f"bench-noop-{tag}"}
    hostnames = [f"bench-{kind}-{tag}" for kind in queues]
    counter = f"bench-relay-{tag}:noops"
    client = redis.Redis.from_url(args.redis_url)
    client.ping()
    stack.callback(client.close)
    stack.callback(lambda: print(f"redis: {clean_redis(client, list(queues.values()), hostnames, counter)} keys "
                                 "and bindings of this run removed"))

    def settings_for(kind: str) -> Settings:
        return Settings(data_dir=work_dir / f"bench-{kind}", database_url=url.render_as_string(hide_password=False),
                        definitions_dir=DEFINITIONS, broker_url=args.redis_url, queue=queues[kind])

    app = build(settings_for("cycle"))
    stack.callback(app.close)
    print(f"setup: {args.events:,} cycles of '{SHIPPED}' at its first stage", flush=True)
    ids = fill(app, args.events)
    events = create_app(settings_for("cycle"))
    noop_task = noop_app.add_noop(events, args.redis_url)
    stack.callback(events.close)

    workers: dict[str, Process] = {}

    def stop_workers() -> None:
        for worker in workers.values():
            try:
                worker.stop()
            except OSError as exc:
                print(f"could not stop worker {worker.popen.pid}: {exc}")
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for worker in workers.values():
                shutil.copy(worker.log, args.logs / worker.log.name)

    stack.callback(stop_workers)
    python = sys.executable
    for kind, entry in (("cycle", [python, "-m", "tasks"]), ("noop", [python, str(_HERE / "noop_app.py")])):
        argv = [*entry, *worker_options(args, f"bench-{kind}-{tag}")]
        env = worker_env(url, args.redis_url, queues[kind], work_dir / f"worker-{kind}")
        workers[kind] = Process(f"{kind} worker", argv, env, work_dir / f"worker-{kind}.log")
        print(f"worker: {' '.join(argv[1:])}  (queue {queues[kind]})", flush=True)
    poller = app.database.connect().execution_options(isolation_level="AUTOCOMMIT")
    stack.callback(poller.close)
    bench = Bench(args, app, events, noop_task, queues["noop"], client, counter, ids, workers, poller)
    # Ready when each has done one (a worker takes a few seconds to start).
    bench.run_events("CycleStarted", 1)
    bench.run_noops(1)
    print(f"warm-up: one round of each workload, {args.events:,} each", flush=True)
    for workload in args.workloads:
        bench.one(workload, args.events)
    print(f"rounds: {args.rounds} of each workload, alternating", flush=True)
    for _ in range(args.rounds):
        for workload in args.workloads:
            bench.samples.setdefault(workload, []).append(bench.one(workload, args.events))
    return bench


def report(bench: Bench) -> None:
    args = bench.args
    print(f"\nThrough the worker, medians of {args.rounds} rounds of {args.events:,}; worker --pool {args.pool} "
          f"--concurrency {args.concurrency} --loglevel {args.loglevel}; relay limit {args.relay_limit}")
    header = (f"  {'':<44} {'per s':>7} {'min-max':>11} {'ms each':>8} {'publish ms':>11} "
              f"{'worker CPU ms':>14}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    rate = {}
    for workload, samples in bench.samples.items():
        label = WORKLOADS[workload]
        rate[workload] = statistics.median([s.rate for s in samples])
        rates = [s.rate for s in samples]
        publish = statistics.median([s.publish / s.n * 1e3 for s in samples])
        cpu = statistics.median([s.worker_cpu / s.n * 1e3 for s in samples])
        print(f"  {label:<44} {rate[workload]:>7,.0f} {min(rates):>5,.0f}-{max(rates):<5,.0f} "
              f"{1e3 / rate[workload]:>8.2f} {publish:>11.3f} {cpu:>14.2f}")
    print()
    if "noop" in rate:
        if "plain" in rate:
            print(f"  ratio events (no handlers) / no-op tasks   {rate['plain'] / rate['noop']:5.2f}   "
                  "(aim: 0.50 or more)")
        if "stage" in rate:
            print(f"  ratio events (StageEntered) / no-op tasks  {rate['stage'] / rate['noop']:5.2f}")
    print("  publish ms: per message, from the first relay call (or send) to the last publish")
    print("  worker CPU ms: per message, the worker's processes only (PostgreSQL and Redis not included)")


# -- the run -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments("bench/relay.py",
                       "Events per second through the outbox relay and a worker, against no-op Celery tasks.", redis_url=DEFAULT_REDIS)
    parser.add_argument("--events", type=int, default=500,
                        help="events (and no-op tasks) per round, also the number of cycles (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each workload (default: %(default)s)")
    parser.add_argument("--pool", choices=["solo", "prefork", "threads"], default="solo",
                        help="the workers' pool, as `cycle worker --pool` (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="the workers' concurrency, as `cycle worker --concurrency` (default: %(default)s; "
                             "solo runs one task at a time whatever it says)")
    parser.add_argument("--loglevel", default="INFO",
                        help="the workers' log level, as `cycle worker --loglevel` (default: %(default)s)")
    parser.add_argument("--relay-limit", type=int, default=500,
                        help="rows per relay call, as `relay(limit=...)` (default: %(default)s, the product's)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="which to run, comma-separated, from: %(default)s")
    parser.add_argument("--logs", type=Path,
                        help="a folder to copy the workers' logs to at the end (default: they are deleted)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds to wait for one round before giving up (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.events < 1 or args.rounds < 1 or args.concurrency < 1 or args.relay_limit < 1:
        parser.error("--events, --rounds, --concurrency and --relay-limit must be at least 1")
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    if not args.workloads or set(args.workloads) - set(WORKLOADS):
        parser.error(f"--workloads takes some of {', '.join(WORKLOADS)}")
    if args.events > 10_000 * len(YEARS):
        parser.error(f"at most {10_000 * len(YEARS):,} events")
    return args


def run(args: argparse.Namespace) -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="cycle-bench-relay-"))
    started = time.perf_counter()
    try:
        # The stack closes first: the workers stop before their database is dropped.
        with temporary_database(args.database_url) as url, ExitStack() as stack:
            client = redis.Redis.from_url(args.redis_url)
            info = client.info("server")
            client.close()
            print(f"strategy-cycle relay benchmark, {dt.date.today().isoformat()}")
            print(f"  machine:  {machine()}")
            print(f"  software: Python {platform.python_version()}, Celery {celery.__version__}, "
                  f"SQLAlchemy {sqlalchemy.__version__}, Redis {info['redis_version']} at {args.redis_url}")
            bench = run_on(args, url, work_dir, stack)
            report(bench)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; the workers are stopped and the scratch database dropped")


def main(argv: list[str] | None = None) -> None:
    run_main(run, parse_args(argv))


if __name__ == "__main__":
    main()
