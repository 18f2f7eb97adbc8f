"""Fire throughput of the engine on PostgreSQL, against raw SQL transactions of the same shape.

Run it with `make bench` or `.venv/bin/python bench/transitions.py --help`. It creates its
own database on the server given by --database-url, migrates it, and drops it at the end.

What it measures (docs/performance.md explains the choices):

1. loop: `Engine.fire` on a benchmark-only definition whose two stages are joined by an
   unguarded trigger each way, so a cycle can be fired for ever. Every fire is the engine's
   full path (load the cycle, the definition snapshot (cached), the facts its gates need,
   machine, the version-checked write of the cycle, history row and outbox row, commit) and
   writes what the raw transaction writes.
2. raw: that transaction written by hand on one held connection: read the cycle row, UPDATE
   it `WHERE id = ? AND version = ?`, INSERT a history row and an outbox row, COMMIT; once
   with psycopg directly (the floor) and once with SQLAlchemy Core. Same database, same
   cycles, same number of operations; the rounds alternate with the engine's, so all three
   see the same table sizes and the same load on the machine.
3. shipped: `community_safety_strategy` cycles driven from start to adoption by `Engine.fire`
   (its stage transitions, gated on papers and board decisions, and its strand fires), with
   the papers and decisions recorded before the clock starts. Gated fires read and write more
   than the raw shape: this is the realistic figure, the loop the like-for-like one.
4. machine: `CompiledMachine.fire` in memory (no database) on the cached machine, and the
   same fire on a machine built for the command, as the engine would do without its cache.

Timings are medians of several rounds after a warm-up; nothing is asserted about them.

The workloads live beside this file: bench/transitions_loop.py (1 and 2),
bench/transitions_shipped.py (3 and 4), and the per-round measures in bench/transitions_measure.py.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this file, being called
# transitions.py, would shadow the `transitions` library the engine imports. Take it off.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import datetime as dt
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass

import psycopg
import sqlalchemy
import transitions
from psycopg import pq
from sqlalchemy import URL, create_engine, text

from bench.harness import DEFINITIONS, arguments, load, machine, median, temporary_database
from bench.harness import main as run_main
from bench.transitions_loop import (
    LOOP_DEFINITION,
    MAX_CYCLES,
    Loop,
    Raw,
    RawCore,
    RawPsycopg,
)
from bench.transitions_measure import (
    Sample,
    engine_connection,
    measure,
    per_op_us,
    round_trips,
    spread,
)
from bench.transitions_parts import Part, measure_parts, report_parts
from bench.transitions_shipped import (
    SHIPPED,
    MachineFigures,
    Shipped,
    machine_bench,
)
from workflow.app import App, build
from workflow.settings import Settings
from workflow.store import db
from workflow.time.clock import SystemClock

# -- the run -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments("bench/transitions.py",
                       "Fire throughput of the engine on PostgreSQL against raw SQL of the same shape.")
    parser.add_argument("--cycles", type=int, default=40,
                        help=f"cycles of each definition to start, 1 to {MAX_CYCLES} (default: %(default)s)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--fires", type=int, default=400,
                      help="engine fires per round of the loop benchmark, and raw transactions per round of "
                           "the baseline (default: %(default)s)")
    size.add_argument("--seconds", type=float,
                      help="instead of --fires: size each loop round to about this many seconds of engine fires")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each benchmark (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=200,
                        help="untimed engine fires and raw transactions before the rounds (default: %(default)s)")
    parser.add_argument("--skip-shipped", action="store_true",
                        help=f"leave out the '{SHIPPED}' start-to-adoption benchmark")
    parser.add_argument("--parts", action="store_true",
                        help="also measure what the chain and outbox triggers, the keyed seal and a refused "
                             "fire cost per fire (bench/transitions_parts.py)")
    parser.add_argument("--audit-key-file", type=Path, default=None,
                        help="seal every history row with the key in this file, as CYCLE_AUDIT_KEY_FILE does")
    args = parser.parse_args(argv)
    if not 1 <= args.cycles <= MAX_CYCLES:
        parser.error(f"--cycles must be between 1 and {MAX_CYCLES}")
    if args.rounds < 1 or args.warmup < 0 or args.fires < 1:
        parser.error("--rounds and --fires must be at least 1, --warmup at least 0")
    if args.seconds is not None and args.seconds <= 0:
        parser.error("--seconds must be more than 0")
    return args


def server_facts(url: URL) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {name: str(connection.execute(text(f"SHOW {name}")).scalar_one())
                    for name in ("server_version", "synchronous_commit", "fsync")}
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="cycle-bench-"))
    started = time.perf_counter()
    try:
        with temporary_database(args.database_url) as url:
            run_on(args, url, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; the scratch database is dropped")


@dataclass
class Results:
    samples: dict[str, list[Sample]]  # engine, psycopg, core, shipped
    trips: dict[str, float]
    machines: list[MachineFigures]
    fires: int
    shipped_shape: str
    parts: list[Part]


def run_on(args: argparse.Namespace, url: URL, work_dir: Path) -> None:
    server = server_facts(url)
    print(f"strategy-cycle fire benchmark, {dt.date.today().isoformat()}")
    print(f"  machine:    {machine()}")
    print(f"  software:   Python {platform.python_version()}, transitions {transitions.__version__}, "
          f"SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__} ({pq.__impl__}, "
          f"libpq {pq.version() // 10000})")
    print(f"  PostgreSQL: {server['server_version']} at {url.host}:{url.port}, "
          f"synchronous_commit={server['synchronous_commit']}, fsync={server['fsync']}; "
          f"scratch database {url.database}")

    migrate = db.make_engine(url.render_as_string(hide_password=False))
    db.upgrade(migrate)
    db.mark_rehearsal(migrate)  # a scratch database on simulated time
    migrate.dispose()

    loop_path = work_dir / "bench_loop.yaml"
    loop_path.write_text(LOOP_DEFINITION)
    settings = Settings(data_dir=work_dir / "data", database_url=url.render_as_string(hide_password=False),
                        definitions_dir=DEFINITIONS, audit_key_file=args.audit_key_file)
    # The system clock, as in production. (Every fire bumps the cycle's version whatever the
    # clock says.) The shipped plan has no date gates, so the day does not matter.
    app = build(settings, clock=SystemClock())
    raws: list[Raw] = [RawPsycopg(url), RawCore(url)]
    try:
        results = measure_all(args, app, raws, loop_path, work_dir)
    finally:
        for raw in raws:
            raw.close()
        app.close()
    report(results, load())


def measure_all(args: argparse.Namespace, app: App, raws: list[Raw], loop_path: Path, work_dir: Path) -> Results:
    print(f"\nsetup: {args.cycles} cycles of the loop definition", flush=True)
    loop = Loop(app, loop_path, args.cycles)
    connection = engine_connection(app)
    pid = connection.info.backend_pid
    if args.warmup:
        loop.engine_fires(args.warmup)()
        for raw in raws:
            loop.raw_transactions(raw, args.warmup)()
    trace = work_dir / "libpq.trace"
    trips = {"engine": round_trips(connection, 20, loop.engine_fires(20), trace)}
    for raw in raws:
        trips[raw.label] = round_trips(raw.driver, 20, loop.raw_transactions(raw, 20), trace)
    fires = args.fires
    if args.seconds is not None:
        probe = measure(100, loop.engine_fires(100))
        fires = max(50, round(probe.rate * args.seconds))
    print(f"loop: {args.rounds} rounds of {fires} engine fires, each followed by {fires} transactions of "
          "each raw baseline", flush=True)
    samples: dict[str, list[Sample]] = {"engine": [], **{raw.label: [] for raw in raws}}
    for _ in range(args.rounds):
        samples["engine"].append(measure(fires, loop.engine_fires(fires), pid))
        for raw in raws:
            samples[raw.label].append(measure(fires, loop.raw_transactions(raw, fires), raw.pid))
    parts: list[Part] = []
    if args.parts:
        print("parts: the triggers on and off, the seal, refused fires", flush=True)
        parts = measure_parts(loop, next(r for r in raws if isinstance(r, RawPsycopg)), args.rounds, fires)

    shape = ""
    if not args.skip_shipped:
        print(f"setup: {args.cycles + 1} cycles of '{SHIPPED}', each with its papers and board decisions",
              flush=True)
        shipped = Shipped(app, args.cycles + 1, work_dir)
        steps = len(shipped.steps)
        # The extra cycle is the warm-up: driven from start to adoption untimed, and traced.
        trips["shipped"] = round_trips(connection, steps, shipped.drive(shipped.keys[-1:]), trace)
        timed = shipped.keys[:-1]
        groups = [timed[i::args.rounds] for i in range(min(args.rounds, len(timed)))]
        stage_moves = sum(1 for s in shipped.steps if s.strand is None)
        shape = f"{stage_moves} stage transitions and {steps - stage_moves} strand fires per cycle"
        print(f"shipped: {len(groups)} rounds of {len(groups[0])} cycles, {shape}", flush=True)
        samples["shipped"] = [measure(len(group) * steps, shipped.drive(group), pid) for group in groups]

    print("machine: in memory, no database", flush=True)
    machines = [machine_bench(app.engine.catalog.load(str(loop_path)), args.rounds),
                machine_bench(app.engine.catalog.load(SHIPPED), args.rounds)]
    return Results(samples, trips, machines, fires, shape, parts)


def report(r: Results, load_after: str) -> None:
    rate = {name: median([s.rate for s in samples]) for name, samples in r.samples.items()}
    cpu = {name: per_op_us(samples, "cpu") or 0.0 for name, samples in r.samples.items()}
    print(f"\nload average after: {load_after}")
    print("\nThroughput on PostgreSQL, medians of the rounds; per operation: microseconds and round trips")
    header = (f"  {'':<38} {'ops/s':>7} {'min-max':>11} {'wall':>7} {'client CPU':>11} {'DB CPU':>7} "
              f"{'trips':>6}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    labels = {"engine": "engine fire, loop definition", RawPsycopg.label: "raw SQL transaction, psycopg",
              RawCore.label: "raw SQL transaction, SQLAlchemy Core", "shipped": f"engine fire, {SHIPPED}"}
    for name, samples in r.samples.items():
        print(f"  {labels[name]:<38} {rate[name]:>7,.0f} {spread(samples):>11} {1e6 / rate[name]:>7,.0f} "
              f"{us(per_op_us(samples, 'cpu')):>11} {us(per_op_us(samples, 'server_cpu')):>7} "
              f"{r.trips[name]:>6.1f}")
    if "shipped" in r.samples:
        print(f"  ({SHIPPED}: {r.shipped_shape})")

    engine = rate["engine"]
    print()
    print(f"  ratio engine/raw psycopg (loop)          {engine / rate[RawPsycopg.label]:5.2f}   (aim: 0.80 or more)")
    print(f"  ratio engine/raw SQLAlchemy Core (loop)  {engine / rate[RawCore.label]:5.2f}")
    if "shipped" in r.samples:
        print(f"  ratio {SHIPPED}/raw psycopg  {rate['shipped'] / rate[RawPsycopg.label]:5.2f}   "
              "(its gated fires read and write more than the raw shape)")
    loop_machine = r.machines[0]
    print(f"  engine CPU per fire, database excluded:  {cpu['engine']:,.0f} us in this process, against "
          f"{cpu[RawPsycopg.label]:,.0f} us (psycopg) and {cpu[RawCore.label]:,.0f} us (Core) per raw "
          f"transaction; the machine's part {loop_machine.cached_us:,.0f} us")

    if r.parts:
        report_parts(r.parts)

    print("\nThe machine alone, in memory: CompiledMachine.fire, microseconds per fire")
    header = f"  {'definition (stages/transitions)':<34} {'fired':<34} {'cached':>7} {'built':>7} {'ratio':>6}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for m in r.machines:
        label = f"{m.definition} ({m.states}/{m.transitions})"
        print(f"  {label:<34} {m.fired:<34} {m.cached_us:>7,.0f} {m.built_us:>7,.0f} "
              f"{m.built_us / m.cached_us:>6.1f}")
    print("  cached: the shared machine's event fired on a throwaway model (never attached), as the engine does")
    print("  built:  a CompiledMachine (a transitions.Machine and its transitions) built for each fire")


def us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def main(argv: list[str] | None = None) -> None:
    run_main(run, parse_args(argv))


if __name__ == "__main__":
    main()
