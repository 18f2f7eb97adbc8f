"""One sweep of the deadlines on PostgreSQL: does its cost follow what is due, or what exists?

Run it with `.venv/bin/python bench/sweep.py` (`--help` for the options). It creates two
scratch databases on the server given by --database-url, migrates them, fills them, and
drops them at the end, even when the run fails or is interrupted.

What it measures:

- Two databases, one with --small open cycles (default 1,000) and one with --large
  (default 100,000), both on the `tests/data/timed.yaml` definition (stage 'open', due
  1 May; the timed transition 'close' to 'closed' at the end of 1 May). Each open cycle has
  what the product gives it on entering 'open': a CycleStarted and a StageEntered event
  (handled long ago) and the two deadline rows `plan_stage` makes from that entry
  (`timed_transition` 'close' and `stage_overdue`).
- Exactly --due of those cycles (default 200) are due: their `timed_transition` deadline is
  due at the benchmark's clock and nothing else is; every other deadline row, in both
  databases, is pending and due later. The due cycles are the same in both databases (same
  definitions, years and keys), so a sweep does the same work in each; only what exists
  differs.
- One timed round is `workflow.commands.sweep.Sweeper(engine).sweep()`, on an engine built by
  `workflow.app.build` with a simulated clock pinned at that moment: it claims each due row
  (SKIP LOCKED), checks the cycle is still in the stage by its latest StageEntered event,
  fires 'close' through the engine (history row, StageEntered and CycleCompleted events,
  cancelling the stage's other deadlines, optimistic version check) and marks the row done,
  one transaction per deadline. Every round must report exactly --due done.
- Between rounds (untimed) the due set is rebuilt: each due cycle is put back in 'open' with
  a new StageEntered event and new deadline rows planned from it, exactly as `plan_stage`
  would plan them; then VACUUM (unless --no-vacuum) so both databases start each round with
  the same dead rows, whatever autovacuum would have done. The rounds alternate between the
  two databases, so both see the same load on the machine.
- Also: an idle sweep (nothing due: one claim that finds nothing), the statements sent per
  deadline, and the plan of the sweep's claim query on the large database, captured from a
  real sweep and run under EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back.

How the rows are made: one cycle of `timed.yaml` is started through `Engine.start` in each
database, and its StageEntered event is handled by the product's `plan_stage`. That registers
the definition and gives the reference deadline rows. The cycle key is `<definition>-<year>`
and unique, and the engine plans years 2000 to 2100, so 100,000 cycles need many definition
ids: the stored definition row is cloned with `id: timed` rewritten to `id: timed_NNNN` (and
its checksum recomputed), 50 cycle years per clone. Cycles, history, events and deadlines are
then written with INSERT ... SELECT over generate_series. The deadline times come from the
calendar code through a function mirroring `plan_stage`, checked against the rows
`plan_stage` wrote for the real cycle. ANALYZE runs after filling.

Timings are medians of the rounds; nothing is asserted about them.

The populated databases are built in bench/sweep_setup.py; this file measures and reports.
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
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import URL, create_engine, event, text

from bench.harness import REPO, arguments, machine, temporary_database
from bench.harness import main as run_main
from bench.sweep_setup import (
    DUE_YEAR,
    LATER_YEARS,
    TIMED,
    Population,
    check,
    fill,
    restore,
    vacuum,
)
from workflow.commands.sweep import Sweeper
from workflow.time.deadlines import end_of_day

# -- measuring -----------------------------------------------------------------------------


@contextmanager
def statements(population: Population) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine's database sends, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(population.database, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(population.database, "before_cursor_execute", record)


def sweep_once(population: Population, due: int) -> tuple[float, float]:
    """One sweep of exactly `due` deadlines: its wall time and this process's CPU time."""
    sweeper = Sweeper(population.app.engine)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    report = sweeper.sweep()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if (report.done, report.skipped, report.retried) != (due, 0, 0):
        raise SystemExit(f"{population.label}: the sweep did {report.done} done, {report.skipped} skipped, "
                         f"{report.retried} retried; expected {due} done")
    return wall, cpu


def idle_sweep(population: Population, times: int) -> list[float]:
    sweeper = Sweeper(population.app.engine)
    walls = []
    for _ in range(times):
        t0 = time.perf_counter()
        report = sweeper.sweep()
        walls.append(time.perf_counter() - t0)
        assert report.total() == 0
    return walls


def explain_claim(population: Population, claim: tuple[str, Any]) -> list[str]:
    """The sweep's own claim statement, executed under EXPLAIN ANALYZE and rolled back."""
    statement, parameters = claim
    with population.database.connect() as conn:
        trans = conn.begin()
        try:
            lines = [row[0] for row in conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS) " + statement, parameters)]
        finally:
            trans.rollback()
    return lines


def is_claim(statement: str) -> bool:
    return "FROM deadlines" in statement and "SKIP LOCKED" in statement


# -- the run -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments("bench/sweep.py",
                       "The time of one deadline sweep with few and with many open cycles, the same number due.")
    parser.add_argument("--small", type=int, default=1000, help="open cycles in the small database (default: %(default)s)")
    parser.add_argument("--large", type=int, default=100_000,
                        help="open cycles in the large database (default: %(default)s)")
    parser.add_argument("--due", type=int, default=200,
                        help="deadlines due at each sweep, in both databases (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="timed sweeps of each database (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed sweeps of each database before the rounds (default: %(default)s)")
    parser.add_argument("--idle", type=int, default=20,
                        help="sweeps with nothing due, timed after the rounds (default: %(default)s)")
    parser.add_argument("--no-vacuum", action="store_true",
                        help="leave dead rows to autovacuum instead of running VACUUM between rounds")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0 or args.idle < 0:
        parser.error("--rounds must be at least 1, --warmup and --idle at least 0")
    if not 1 <= args.due <= 9999:
        parser.error("--due must be between 1 and 9,999 (one definition clone per due cycle)")
    if args.small <= args.due or args.large <= args.due:
        parser.error("--small and --large must be more than --due")
    if max(args.small, args.large) > (10_000 * len(LATER_YEARS)):
        parser.error(f"at most {10_000 * len(LATER_YEARS):,} cycles")
    return args


def server_version(url: URL) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def the_clock() -> dt.datetime:
    """Just after the timed transition of DUE_YEAR, before its stage falls overdue."""
    return end_of_day(dt.date(DUE_YEAR, 5, 1)) + dt.timedelta(hours=1)


def run(args: argparse.Namespace) -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="cycle-bench-sweep-"))
    started = time.perf_counter()
    now = the_clock()
    try:
        with ExitStack() as stack:
            small_url = stack.enter_context(temporary_database(args.database_url, "small"))
            large_url = stack.enter_context(temporary_database(args.database_url, "large"))
            print(f"strategy-cycle sweep benchmark, {dt.date.today().isoformat()}")
            print(f"  machine:    {machine()}")
            print(f"  software:   Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
                  f"PostgreSQL {server_version(small_url)} at {small_url.host}:{small_url.port}")
            print(f"  clock:      {now.isoformat()} (the sweep's 'now'); definition {TIMED.relative_to(REPO)}")
            populations = []
            for label, url, size in (("small", small_url, args.small), ("large", large_url, args.large)):
                print(f"setup: {label}: {size:,} open cycles, {args.due} of them due", flush=True)
                population = fill(label, url, work_dir, size, args.due, now)
                stack.callback(population.app.close)
                populations.append(population)
                print(f"  filled in {population.fill_seconds:.1f} s: {population.definitions:,} definition "
                      f"versions, {population.pending:,} pending deadlines", flush=True)
            measure_all(args, populations, now)
            report(args, populations)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; the scratch databases are dropped")


def measure_all(args: argparse.Namespace, populations: list[Population], now: dt.datetime) -> None:
    claim: tuple[str, Any] | None = None
    for population in populations:
        # Warm-up: caches (definition snapshots, compiled machines, SQLAlchemy's statement cache).
        for i in range(args.warmup):
            with statements(population) as seen:
                sweep_once(population, args.due)
            if i == 0:
                population.statements = (len(seen) - 1) / args.due  # the last claim finds nothing
                claim = next(s for s in seen if is_claim(s[0]))
            restore(population, now)
            if not args.no_vacuum:
                vacuum(population)
    print(f"rounds: {args.rounds} sweeps of each database, alternating", flush=True)
    for _ in range(args.rounds):
        for population in populations:
            check(population, now, args.due)
            wall, cpu = sweep_once(population, args.due)
            population.sweeps.append(wall)
            population.cpus.append(cpu)
            restore(population, now)
            if not args.no_vacuum:
                vacuum(population)
    large = populations[-1]
    if claim is None:
        with statements(large) as seen:
            sweep_once(large, args.due)
        claim = next(s for s in seen if is_claim(s[0]))
        restore(large, now)
    print(f"\nThe sweep's claim query, on the large database ({large.open_cycles:,} open cycles, "
          f"{args.due} due), under EXPLAIN (ANALYZE, BUFFERS), rolled back:")
    print("  " + " ".join(claim[0].split()))
    for line in explain_claim(large, claim):
        print(f"    {line}")
    for population in populations:
        check(population, now, args.due)
        sweep_once(population, args.due)  # leaves nothing due
        population.idle = idle_sweep(population, args.idle)


def report(args: argparse.Namespace, populations: list[Population]) -> None:
    print("\nOne sweep, medians of the rounds")
    header = (f"  {'database':<8} {'open cycles':>12} {'pending deadlines':>18} {'due':>5} {'sweep ms':>9} "
              f"{'min-max':>13} {'ms/deadline':>12} {'CPU ms/deadline':>16} {'stmts/deadline':>15} "
              f"{'idle sweep ms':>14}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for p in populations:
        wall = statistics.median(p.sweeps) * 1e3
        idle = f"{statistics.median(p.idle) * 1e3:.2f}" if p.idle else "n/a"
        print(f"  {p.label:<8} {p.open_cycles:>12,} {p.pending:>18,} {args.due:>5} {wall:>9.0f} "
              f"{min(p.sweeps) * 1e3:>6.0f}-{max(p.sweeps) * 1e3:<6.0f} {wall / args.due:>12.2f} "
              f"{statistics.median(p.cpus) * 1e3 / args.due:>16.2f} {p.statements:>15.1f} {idle:>14}")
    small, large = populations
    ratio = statistics.median(large.sweeps) / statistics.median(small.sweeps)
    print(f"\n  ratio t({large.open_cycles:,})/t({small.open_cycles:,})  {ratio:.2f}   (aim: 1.5 or less)")
    if small.idle and large.idle:
        print(f"  idle ratio               {statistics.median(large.idle) / statistics.median(small.idle):.2f}"
              "   (a sweep with nothing due: one claim that finds nothing)")
    print(f"  between rounds: {'no VACUUM (autovacuum only)' if args.no_vacuum else 'VACUUM of the touched tables'}")


def main(argv: list[str] | None = None) -> None:
    run_main(run, parse_args(argv))


if __name__ == "__main__":
    main()
