"""What the sweep benchmark builds: a database filled with open cycles, a chosen number due."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy
from sqlalchemy import URL, insert, select, text

from bench.harness import DEFINITIONS, REPO
from workflow.app import App, build
from workflow.definition.calendar import Timeline, add_working_days
from workflow.definition.model import Definition
from workflow.settings import Settings
from workflow.store import db
from workflow.store.models import Base, Deadline, DefinitionSnapshot, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local
from workflow.time.deadlines import STAGE_OVERDUE, TIMED_TRANSITION, end_of_day, plan_stage

TIMED = REPO / "tests" / "data" / "timed.yaml"
STAGE = "open"
ACTOR = "officer_a"


DUE_YEAR = 2050  # every due cycle is of this year, each on its own definition clone
LATER_YEARS = range(2051, 2101)  # the cycles not due: 50 years per definition clone
REAL_YEAR = 2100  # the one cycle started through the engine (not due)


# -- the scratch databases -----------------------------------------------------------------


# -- what plan_stage plans for a cycle of timed.yaml ---------------------------------------


@dataclass(frozen=True)
class Planned:
    kind: str
    trigger: str | None
    due_at: dt.datetime


def planned(definition: Definition, year: int, stage_id: str) -> list[Planned]:
    """The deadline rows `plan_stage` makes on entering `stage_id` (no strands in timed.yaml)."""
    stage = definition.stages[stage_id]
    assert not stage.strands, "the benchmark's definition has no strands"
    timeline = Timeline(definition, year)
    rows = []
    due = timeline.stage_due(stage_id)
    if due is not None and not stage.final:
        rows.append(Planned(STAGE_OVERDUE, None, at_local(add_working_days(due, 1), 9)))
    for transition in definition.transitions_from(stage_id):
        if transition.at is not None:
            rows.append(Planned(TIMED_TRANSITION, transition.trigger, end_of_day(timeline.resolve(transition.at))))
    return rows


def key_of(entry: int, kind: str, trigger: str | None) -> str:
    return f"{entry}:{kind}::{trigger or ''}"


# -- one database, filled ------------------------------------------------------------------


@dataclass
class Population:
    label: str
    url: URL
    app: App
    open_cycles: int
    due_ids: list[int]
    pending: int = 0
    definitions: int = 0
    fill_seconds: float = 0.0
    sweeps: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # this process's CPU time per sweep
    idle: list[float] = field(default_factory=list)
    statements: float = 0.0

    @property
    def database(self) -> sqlalchemy.Engine:
        return self.app.database


def clone_name(n: int) -> str:
    return f"timed_{n:04d}"


SCHEDULE = sqlalchemy.Table(
    "bench_schedule", sqlalchemy.MetaData(),
    sqlalchemy.Column("year", sqlalchemy.Integer),
    sqlalchemy.Column("kind", sqlalchemy.String(30)),
    sqlalchemy.Column("trigger", sqlalchemy.String(100)),
    sqlalchemy.Column("due_at", sqlalchemy.DateTime(timezone=True)),
)

# Payloads as commands.rows.add_event and commands.start.enter write them.
STARTED_PAYLOAD = """json_build_object('cycle_id', c.id, 'cycle', c.key, 'definition', c.definition_id,
    'definition_version', c.definition_version, 'at', CAST(:at_text AS text), 'year', c.year, 'started_by', c.started_by)"""
ENTERED_PAYLOAD = """json_build_object('cycle_id', c.id, 'cycle', c.key, 'definition', c.definition_id,
    'definition_version', c.definition_version, 'at', CAST(:at_text AS text), 'stage', 'open', 'from_stage', CAST(NULL AS text),
    'due', make_date(c.year, 5, 1)::text, 'strands', json_build_array())"""

# The deadline rows planned from each StageEntered row in `entered` (a CTE or table).
DEADLINES_FROM_ENTRIES = """
INSERT INTO deadlines (key, cycle_id, stage, strand, kind, trigger, entry, due_at, status, attempts,
                       created_at, data)
SELECT e.id || ':' || s.kind || '::' || coalesce(s.trigger, ''), e.cycle_id, 'open', NULL, s.kind,
       s.trigger, e.id, s.due_at, 'pending', 0, :at, '{}'
FROM entered e JOIN cycles c ON c.id = e.cycle_id JOIN bench_schedule s ON s.year = c.year
"""


def fill(label: str, url: URL, work_dir: Path, open_cycles: int, due: int, now: dt.datetime) -> Population:
    started = time.perf_counter()
    migrate = db.make_engine(url.render_as_string(hide_password=False))
    db.upgrade(migrate)
    db.mark_rehearsal(migrate)  # a scratch database on simulated time
    migrate.dispose()
    settings = Settings(data_dir=work_dir / label, database_url=url.render_as_string(hide_password=False),
                        definitions_dir=DEFINITIONS, frozen_now=now)
    app = build(settings)  # frozen_now: a simulated clock pinned at `now`
    engine = app.engine
    definition = engine.catalog.load(str(TIMED))
    entered_at = now - dt.timedelta(days=400)  # the cycles entered 'open' long before the sweep

    # The real cycle: registers the definition, and plan_stage writes its deadlines.
    engine.clock.set(entered_at)  # type: ignore[attr-defined]
    engine.start(TIMED, REAL_YEAR, ACTOR, outside_folder=True)
    engine.clock.set(now)  # type: ignore[attr-defined]
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    with engine.sessions() as session:
        entry = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "StageEntered")).one()
    handlers.handle(engine, entry)
    with engine.sessions() as session:
        made = {(d.key, d.kind, d.trigger, d.due_at) for d in session.scalars(select(Deadline))}
        snapshot = session.get(DefinitionSnapshot, (definition.id, definition.version))
        assert snapshot is not None
        source, path = snapshot.source, snapshot.path
    expected = {(key_of(entry, p.kind, p.trigger), p.kind, p.trigger, p.due_at)
                for p in planned(definition, REAL_YEAR, STAGE)}
    if made != expected:
        raise SystemExit(f"the benchmark's plan does not match plan_stage's:\n  plan_stage: {sorted(made)}\n"
                         f"  benchmark:  {sorted(expected)}")

    later = open_cycles - due - 1  # the real cycle is one of those not due
    per_clone = len(LATER_YEARS)
    clones = max(due, -(-later // per_clone))
    old_id = f"id: {definition.id}\n"
    assert old_id in source
    schedule = [{"year": y, "kind": p.kind, "trigger": p.trigger, "due_at": p.due_at}
                for y in (DUE_YEAR, *LATER_YEARS) for p in planned(definition, y, STAGE)]
    due_kinds = [p.kind for p in planned(definition, DUE_YEAR, STAGE) if p.due_at <= now]
    if due_kinds != [TIMED_TRANSITION]:
        raise SystemExit(f"the clock {now.isoformat()} should make only the timed transition of {DUE_YEAR} "
                         f"due, not {due_kinds}")
    with app.database.begin() as conn:
        rows = []
        for n in range(clones):
            text_n = source.replace(old_id, f"id: {clone_name(n)}\n", 1)
            rows.append({"id": clone_name(n), "version": definition.version, "source": text_n, "path": path,
                         "checksum": hashlib.sha256(text_n.encode("utf-8")).hexdigest(),
                         "registered_at": entered_at})
        conn.execute(insert(Base.metadata.tables["definitions"]), rows)
        SCHEDULE.create(conn)
        conn.execute(insert(SCHEDULE), schedule)
        at = {"at": entered_at, "at_text": entered_at.isoformat()}
        # The due cycles first, then the others: (clone, year) pairs by generate_series.
        conn.execute(text("""
            INSERT INTO cycles (key, definition_id, definition_version, year, state, status, started_at,
                                started_by, state_entered_at, updated_at, version)
            SELECT d || '-' || y, d, :version, y, 'open', 'active', :at, :actor, :at, :at, 1 FROM (
                SELECT 'timed_' || lpad(i::text, 4, '0') AS d, :due_year AS y, 0 AS o, i
                FROM generate_series(0, :due - 1) i
                UNION ALL
                SELECT 'timed_' || lpad((j / :per_clone)::text, 4, '0'), :first_later + j % :per_clone, 1, j
                FROM generate_series(0, :later - 1) j
            ) s ORDER BY o, i"""),
            {**at, "version": definition.version, "actor": ACTOR, "due_year": DUE_YEAR, "due": due,
             "per_clone": per_clone, "first_later": LATER_YEARS[0], "later": later})
        conn.execute(text("""
            INSERT INTO history (cycle_id, at, actor, action, trigger, strand, from_state, to_state, comment, data)
            SELECT c.id, :at, c.started_by, 'start', NULL, NULL, NULL, 'open', NULL,
                   json_build_object('definition_version', c.definition_version, 'checksum', d.checksum)
            FROM cycles c JOIN definitions d ON d.id = c.definition_id AND d.version = c.definition_version
            WHERE c.definition_id LIKE 'timed\\_%' ORDER BY c.id"""), at)
        conn.execute(text(f"""
            INSERT INTO outbox (cycle_id, event_type, payload, created_at, dispatched_at, handled_at, attempts)
            SELECT c.id, t.event_type, CASE WHEN t.event_type = 'CycleStarted' THEN {STARTED_PAYLOAD}
                                            ELSE {ENTERED_PAYLOAD} END, :at, :at, :at, 1
            FROM cycles c CROSS JOIN (VALUES (1, 'CycleStarted'), (2, 'StageEntered')) t(n, event_type)
            WHERE c.definition_id LIKE 'timed\\_%' ORDER BY c.id, t.n"""), at)
        conn.execute(text("WITH entered AS (SELECT o.id, o.cycle_id FROM outbox o JOIN cycles c ON c.id = o.cycle_id"
                          " WHERE o.event_type = 'StageEntered' AND c.definition_id LIKE 'timed\\_%')"
                          + DEADLINES_FROM_ENTRIES), at)
        due_ids = list(conn.scalars(text("SELECT id FROM cycles WHERE year = :y AND definition_id LIKE 'timed\\_%' "
                                         "ORDER BY id"), {"y": DUE_YEAR}))
    with app.database.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    population = Population(label, url, app, open_cycles, due_ids)
    population.fill_seconds = time.perf_counter() - started
    population.definitions = clones + 1
    check(population, now, due)
    return population


def count_due(population: Population, now: dt.datetime) -> tuple[int, int, int]:
    with population.database.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*) FILTER (WHERE due_at <= :now), count(*), "
            "(SELECT count(*) FROM cycles WHERE status = 'active') FROM deadlines WHERE status = 'pending'"),
            {"now": now}).one()
        return int(row[0]), int(row[1]), int(row[2])


def check(population: Population, now: dt.datetime, due: int) -> None:
    found, pending, active = count_due(population, now)
    if (found, active) != (due, population.open_cycles):
        raise SystemExit(f"{population.label}: {found} deadlines due and {active} open cycles; "
                         f"expected {due} and {population.open_cycles}")
    population.pending = pending


def restore(population: Population, now: dt.datetime) -> None:
    """Put the due cycles back in 'open', entered anew, with their deadlines planned from that entry."""
    at = now - dt.timedelta(days=1)
    with population.database.begin() as conn:
        conn.execute(text("UPDATE cycles SET state = 'open', status = 'active', state_entered_at = :at, "
                          "updated_at = :at, version = version + 1 WHERE id = ANY(:ids)"),
                     {"at": at, "ids": population.due_ids})
        conn.execute(text(f"""
            WITH entered AS (
                INSERT INTO outbox (cycle_id, event_type, payload, created_at, dispatched_at, handled_at, attempts)
                SELECT c.id, 'StageEntered', {ENTERED_PAYLOAD}, :at, :at, :at, 1
                FROM cycles c WHERE c.id = ANY(:ids) ORDER BY c.id
                RETURNING id, cycle_id
            )""" + DEADLINES_FROM_ENTRIES), {"at": at, "at_text": at.isoformat(), "ids": population.due_ids})


def vacuum(population: Population) -> None:
    with population.database.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM deadlines, outbox, cycles, history")
