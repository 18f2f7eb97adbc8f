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
import os
import platform
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy
import transitions
from psycopg import pq
from psycopg.types.json import Json
from sqlalchemy import URL, create_engine, insert, select, text, update

from bench.harness import arguments, load, machine, median, temporary_database
from bench.harness import main as run_main
from workflow.app import App, build
from workflow.definition.calendar import Timeline
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.machine import CompiledMachine, FireContext, MachineCache
from workflow.definition.model import (
    SYSTEM_ROLE,
    DecisionGate,
    Definition,
    Lifecycle,
    PapersGate,
    Transition,
)
from workflow.engine import SYSTEM_ACTOR
from workflow.settings import Settings
from workflow.store import db
from workflow.store.models import Base
from workflow.time.clock import SystemClock

REPO = Path(__file__).resolve().parent.parent
DEFINITIONS = REPO / "definitions"
SHIPPED = "community_safety_strategy"

FIRST_YEAR = 2000  # cycle keys are '<definition>-<year>' and the engine plans years 2000 to 2100
MAX_CYCLES = 100  # one year more is kept for the shipped definition's warm-up cycle

# Two stages joined by an unguarded trigger each way, so a cycle can be fired for ever; the
# final stage is there because a definition must be able to end. Nothing else: no strands,
# gates, boards or reminders, so a fire writes exactly one history row and one outbox row.
LOOP_DEFINITION = """\
id: bench_loop
title: Benchmark loop
version: 1
cycle:
  starts_in: July
roles:
  author: Moves the cycle on
permissions:
  start: [author]
  decide: [author]
  attach: [author]
people:
  bench_author:
    title: Benchmark author
    email: bench.author@example.org
    roles: [author]
initial: ping
stages:
  ping:
    title: Ping
  pong:
    title: Pong
  done:
    title: Done
    final: true
transitions:
  - {trigger: go, source: ping, dest: pong, roles: [author]}
  - {trigger: back, source: pong, dest: ping, roles: [author]}
  - {trigger: finish, source: pong, dest: done, roles: [author]}
"""
LOOP_ACTOR = "bench_author"
LOOP_NEXT = {"ping": ("go", "pong"), "pong": ("back", "ping")}


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


# -- workload 1: the loop definition through the engine ------------------------------------


class Loop:
    """Cycles of the loop definition, fired round-robin by the engine or by a raw baseline."""

    def __init__(self, app: App, path: Path, count: int) -> None:
        self.app = app
        self.keys: list[str] = []
        self.state: dict[str, str] = {}
        for i in range(count):
            fired = app.engine.start(str(path), FIRST_YEAR + i, LOOP_ACTOR, outside_folder=True)
            self.keys.append(fired.cycle)
            self.state[fired.cycle] = fired.to_state
        self._next = 0

    def _take(self, n: int) -> list[str]:
        picked = [self.keys[(self._next + i) % len(self.keys)] for i in range(n)]
        self._next = (self._next + n) % len(self.keys)
        return picked

    def engine_fires(self, n: int) -> Callable[[], None]:
        keys = self._take(n)
        fire = self.app.engine.fire
        state = self.state

        def work() -> None:
            for key in keys:
                trigger, dest = LOOP_NEXT[state[key]]
                fire(key, trigger, LOOP_ACTOR)
                state[key] = dest

        return work

    def raw_transactions(self, raw: Raw, n: int) -> Callable[[], None]:
        keys = self._take(n)
        state = self.state

        def work() -> None:
            for key in keys:
                state[key] = raw.fire(key)

        return work


# -- workload 2: raw SQL of the same shape -------------------------------------------------


CYCLES = Base.metadata.tables["cycles"]
HISTORY = Base.metadata.tables["history"]
OUTBOX = Base.metadata.tables["outbox"]


def stage_entered(now: dt.datetime, cid: int, key: str, definition: str, version: int, before: str,
                  dest: str) -> dict[str, Any]:
    """The outbox payload the engine writes for the loop definition's StageEntered event."""
    return {"cycle_id": cid, "cycle": key, "definition": definition, "definition_version": version,
            "at": now.isoformat(), "stage": dest, "from_stage": before, "due": None, "strands": []}


class Raw:
    """A baseline: the fire transaction written by hand, on one connection held for the run."""

    label: str
    driver: psycopg.Connection[Any]  # the psycopg connection underneath, for tracing and its backend

    @property
    def pid(self) -> int:
        return self.driver.info.backend_pid

    def fire(self, key: str) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class RawPsycopg(Raw):
    """psycopg and SQL text: what the engine's reads and writes cost with nothing in between."""

    label = "raw SQL, psycopg"
    SELECT = ("SELECT id, key, definition_id, definition_version, state, status, version "
              "FROM cycles WHERE key = %s")
    UPDATE = ("UPDATE cycles SET state = %s, state_entered_at = %s, updated_at = %s, version = %s "
              "WHERE id = %s AND version = %s")
    INSERT_HISTORY = ("INSERT INTO history (cycle_id, at, actor, action, trigger, strand, from_state, "
                      "to_state, comment, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id")
    INSERT_OUTBOX = ("INSERT INTO outbox (cycle_id, event_type, payload, created_at) "
                     "VALUES (%s, %s, %s, %s) RETURNING id")

    def __init__(self, url: URL) -> None:
        self.driver = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))

    def fire(self, key: str) -> str:
        now = dt.datetime.now(dt.UTC)
        conn = self.driver
        row = conn.execute(self.SELECT, (key,)).fetchone()
        if row is None:
            raise LookupError(f"no cycle {key}")
        cid, key, definition, version, before, status, row_version = row
        if status != "active":
            raise RuntimeError(f"cycle {key} is not active")
        trigger, dest = LOOP_NEXT[before]
        if conn.execute(self.UPDATE, (dest, now, now, row_version + 1, cid, row_version)).rowcount != 1:
            raise RuntimeError(f"cycle {key} changed under the benchmark")
        conn.execute(self.INSERT_HISTORY, (cid, now, LOOP_ACTOR, "fire", trigger, None, before, dest, None,
                                           Json({})))
        conn.execute(self.INSERT_OUTBOX, (cid, "StageEntered",
                                          Json(stage_entered(now, cid, key, definition, version, before, dest)),
                                          now))
        conn.commit()
        return dest

    def close(self) -> None:
        self.driver.close()


class RawCore(Raw):
    """SQLAlchemy Core on the project's tables: the floor for code that keeps SQLAlchemy."""

    label = "raw SQL, SQLAlchemy Core"

    def __init__(self, url: URL) -> None:
        self.database = create_engine(url)
        self.connection = self.database.connect()
        dbapi = self.connection.connection.dbapi_connection
        assert isinstance(dbapi, psycopg.Connection)
        self.driver = dbapi

    def fire(self, key: str) -> str:
        now = dt.datetime.now(dt.UTC)
        conn = self.connection
        with conn.begin():
            row = conn.execute(select(CYCLES.c.id, CYCLES.c.key, CYCLES.c.definition_id,
                                      CYCLES.c.definition_version, CYCLES.c.state, CYCLES.c.status,
                                      CYCLES.c.version).where(CYCLES.c.key == key)).one()
            if row.status != "active":
                raise RuntimeError(f"cycle {key} is not active")
            trigger, dest = LOOP_NEXT[row.state]
            moved = conn.execute(update(CYCLES).where(CYCLES.c.id == row.id, CYCLES.c.version == row.version)
                                 .values(state=dest, state_entered_at=now, updated_at=now, version=row.version + 1))
            if moved.rowcount != 1:
                raise RuntimeError(f"cycle {key} changed under the benchmark")
            conn.execute(insert(HISTORY).values(cycle_id=row.id, at=now, actor=LOOP_ACTOR, action="fire",
                                                trigger=trigger, from_state=row.state, to_state=dest, data={}))
            conn.execute(insert(OUTBOX).values(
                cycle_id=row.id, event_type="StageEntered", created_at=now,
                payload=stage_entered(now, row.id, key, row.definition_id, row.definition_version, row.state, dest)))
        return dest

    def close(self) -> None:
        self.connection.close()
        self.database.dispose()


# -- workload 3: the shipped definition, start to adoption ---------------------------------


@dataclass(frozen=True)
class Step:
    trigger: str
    actor: str
    strand: str | None


def person_with(definition: Definition, roles: tuple[str, ...]) -> str:
    wanted = tuple(r for r in roles if r != SYSTEM_ROLE) or roles
    if wanted == (SYSTEM_ROLE,):
        return SYSTEM_ACTOR
    return next(p.id for p in definition.people.values() if set(p.roles) & set(wanted))


def path_to_final(lifecycle: Lifecycle) -> list[Transition]:
    queue: deque[tuple[str, list[Transition]]] = deque([(lifecycle.initial, [])])
    seen = {lifecycle.initial}
    while queue:
        state, path = queue.popleft()
        if state in lifecycle.finals:
            return path
        for t in lifecycle.transitions:
            if state in t.sources and t.dest not in seen:
                seen.add(t.dest)
                queue.append((t.dest, [*path, t]))
    raise LookupError(f"lifecycle '{lifecycle.id}' has no way to a final state")


def plan(definition: Definition) -> tuple[list[Step], list[str], list[DecisionGate]]:
    """Every fire from the initial stage to the final one, and the papers and decisions they need."""
    steps: list[Step] = []
    papers: list[str] = []
    decisions: list[DecisionGate] = []
    order = list(definition.stages)
    stage = definition.initial
    while not definition.stages[stage].final:
        for strand in definition.stages[stage].strands:
            for t in path_to_final(definition.lifecycles[strand.lifecycle]):
                steps.append(Step(t.trigger, person_with(definition, t.roles), strand.id))
        forward = max(definition.transitions_from(stage), key=lambda t: order.index(t.dest))
        for gate in forward.gates:
            if isinstance(gate, PapersGate):
                papers += [p for p in gate.papers if p not in papers]
            elif isinstance(gate, DecisionGate):
                decisions.append(gate)
        steps.append(Step(forward.trigger, person_with(definition, forward.roles), None))
        stage = forward.dest
    return steps, papers, decisions


class Shipped:
    """Cycles of the shipped definition, prepared so every fire in the plan passes its gates."""

    def __init__(self, app: App, count: int, papers_dir: Path) -> None:
        self.app = app
        self.definition = app.engine.catalog.load(SHIPPED)
        self.steps, papers, decisions = plan(self.definition)
        author = person_with(self.definition, self.definition.permissions["start"])
        attacher = person_with(self.definition, self.definition.permissions["attach"])
        recorder = person_with(self.definition, self.definition.permissions["decide"])
        files = {}
        for paper in papers:
            files[paper] = papers_dir / f"{paper}.txt"
            files[paper].write_text(f"{self.definition.papers[paper]}\n\nPrepared for the benchmark.\n")
        self.keys: list[str] = []
        for i in range(count):
            key = app.engine.start(SHIPPED, FIRST_YEAR + i, author).cycle
            for paper in papers:
                app.engine.attach(key, paper, files[paper], attacher)
            for gate in decisions:
                board = self.definition.boards[gate.board]
                app.engine.decide(key, gate.board, gate.item, recorder, votes_for=list(board.voting))
            self.keys.append(key)

    def drive(self, keys: list[str]) -> Callable[[], None]:
        """Every cycle in `keys` from its first stage to adoption, a step of each cycle in turn."""
        fire = self.app.engine.fire
        steps = self.steps

        def work() -> None:
            for step in steps:
                for key in keys:
                    fire(key, step.trigger, step.actor, strand=step.strand)

        return work


# -- workload 4: the machine alone ---------------------------------------------------------


@dataclass(frozen=True)
class MachineFigures:
    definition: str
    states: int
    transitions: int
    fired: str
    cached_us: float
    built_us: float


def machine_bench(definition: Definition, rounds: int) -> MachineFigures:
    """The cycle machine's fire in memory: the cached machine, and one built for the command.

    The facts are built in memory to pass the first transition's gates, as the engine's
    `facts()` would find them; nothing touches the database.
    """
    first = definition.transitions_from(definition.initial)[0]
    facts = Facts(
        today=dt.date(2021, 7, 20), timeline=Timeline(definition, 2021),
        decisions={(g.board, g.item): DecisionFact("carried", 5, 5)
                   for g in first.gates if isinstance(g, DecisionGate)},
        papers={p for g in first.gates if isinstance(g, PapersGate) for p in g.papers},
    )
    roles = definition.people[person_with(definition, first.roles)].roles
    stages = list(definition.stages)
    source = first.sources[0]
    shared = MachineCache().get(definition).cycle

    def fire_cached(n: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(n):
                shared.fire(source, first.trigger, FireContext(definition, facts, roles), what="bench")
        return work

    def fire_built(n: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(n):
                machine = CompiledMachine("bench", stages, definition.initial, definition.transitions)
                machine.fire(source, first.trigger, FireContext(definition, facts, roles), what="bench")
        return work

    fire_cached(500)()
    fire_built(100)()
    cached, built = [], []
    for _ in range(rounds):
        cached.append(measure(2000, fire_cached(2000)))
        built.append(measure(500, fire_built(500)))
    return MachineFigures(
        definition=definition.id, states=len(stages), transitions=len(definition.transitions),
        fired=f"{first.trigger}, {len(first.gates)} gates",
        cached_us=median([s.wall / s.ops * 1e6 for s in cached]),
        built_us=median([s.wall / s.ops * 1e6 for s in built]),
    )


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
    return Results(samples, trips, machines, fires, shape)


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
