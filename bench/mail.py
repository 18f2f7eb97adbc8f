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

What it builds (definitions, SMTP server, workers, Redis keys) is in bench/mail_setup.py; the two
parts are bench/mail_latency.py and bench/mail_throughput.py; this file runs them.
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
import math
import platform
import shutil
import tempfile
import time
from contextlib import ExitStack

import celery
import redis
import sqlalchemy
from sqlalchemy import create_engine, text

from bench.harness import (
    DEFINITIONS,
    arguments,
    load,
    machine,
    temporary_database,
)
from bench.harness import main as run_main
from bench.mail_latency import (
    Cycles,
    measure_latency,
    report_latency,
    write_definitions,
)
from bench.mail_setup import (
    DEFAULT_REDIS,
    DUE,
    WORKER_READY,
    Run,
    SmtpServer,
    cleanup_redis,
)
from bench.mail_throughput import (
    measure_throughput,
    report_throughput,
)
from tasks.app import create_app
from workflow.app import build
from workflow.settings import Settings
from workflow.store import db
from workflow.time.clock import at_local

# -- reporting ------------------------------------------------------------------------------


# -- the run ---------------------------------------------------------------------------------


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
