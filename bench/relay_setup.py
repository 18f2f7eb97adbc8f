"""What the relay benchmark builds: cycles and outbox events, worker environments, its Redis keys."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy import URL, func, insert, select, text

from bench.harness import (
    DEFINITIONS,
    Process,
    wait_for,
)
from workflow.app import App
from workflow.store.models import Base, DefinitionSnapshot, OutboxEvent

SHIPPED = "community_safety_strategy"

DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
YEARS = range(2000, 2101)  # the years the engine plans; one cycle per (definition, year)


# -- the scratch database ------------------------------------------------------------------


def fill(app: App, cycles: int) -> list[int]:
    """`cycles` cycles of the shipped definition at 'early_findings', on clones of its stored text."""
    engine = app.engine
    definition = engine.catalog.load(SHIPPED)
    author = next(p.id for p in definition.people.values() if set(p.roles) & set(definition.permissions["start"]))
    engine.start(SHIPPED, YEARS[0], author)
    with engine.sessions() as session:
        stored = session.get(DefinitionSnapshot, (definition.id, definition.version))
        assert stored is not None
        source, path = stored.source, stored.path
    old_id = f"\nid: {definition.id}\n"
    assert old_id in source
    more = cycles - 1
    clones = -(-more // len(YEARS))
    now = dt.datetime.now(dt.UTC)
    rows = []
    for n in range(clones):
        text_n = source.replace(old_id, f"\nid: {SHIPPED}_{n:04d}\n", 1)
        rows.append({"id": f"{SHIPPED}_{n:04d}", "version": definition.version, "source": text_n, "path": path,
                     "checksum": hashlib.sha256(text_n.encode("utf-8")).hexdigest(), "registered_at": now})
    with app.database.begin() as conn:
        if rows:
            conn.execute(insert(Base.metadata.tables["definitions"]), rows)
        conn.execute(text("""
            INSERT INTO cycles (key, definition_id, definition_version, year, state, status, started_at,
                                started_by, state_entered_at, updated_at, version)
            SELECT d || '-' || y, d, :version, y, :stage, 'active', :now, :author, :now, :now, 1 FROM (
                SELECT :prefix || lpad((j / :per)::text, 4, '0') AS d, :first + j % :per AS y, j
                FROM generate_series(0, :more - 1) j) s ORDER BY j"""),
            {"version": definition.version, "stage": definition.initial, "now": now, "author": author,
             "prefix": f"{SHIPPED}_", "per": len(YEARS), "first": YEARS[0], "more": more})
        ids = list(conn.scalars(text("SELECT id FROM cycles ORDER BY id")))
    with app.database.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return ids


# The events as Engine.start writes them: CycleStarted, and StageEntered into the initial stage
# (entered on 1 June of the cycle year, before every reminder of the stage falls due).
EVENTS = """
INSERT INTO outbox (cycle_id, event_type, payload, created_at, attempts)
SELECT c.id, CAST(:event_type AS text),
       CASE WHEN CAST(:event_type AS text) = 'StageEntered' THEN json_build_object(
           'cycle_id', c.id, 'cycle', c.key, 'definition', c.definition_id,
           'definition_version', c.definition_version, 'at', CAST(:at_text AS text), 'stage', c.state,
           'from_stage', CAST(NULL AS text), 'due', CAST(NULL AS text), 'strands', json_build_array())
       ELSE json_build_object(
           'cycle_id', c.id, 'cycle', c.key, 'definition', c.definition_id,
           'definition_version', c.definition_version, 'at', CAST(:at_text AS text), 'year', c.year,
           'started_by', c.started_by) END,
       make_timestamptz(c.year, 6, 1, 9, 0, 0, 'Europe/London'), 0
FROM cycles c WHERE c.id = ANY(:ids) ORDER BY c.id
"""


def add_events(app: App, event_type: str, ids: list[int]) -> None:
    now = dt.datetime.now(dt.UTC)
    with app.database.begin() as conn:
        conn.execute(text(EVENTS), {"event_type": event_type, "at_text": now.isoformat(), "ids": ids})


UNHANDLED = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None))


# -- the worker processes ------------------------------------------------------------------


def wait_until(done: Callable[[], bool], what: str, timeout: float, workers: list[Process],
               poll: float = 0.01) -> None:
    def check() -> None:
        for worker in workers:
            worker.check()

    wait_for(done, what, timeout, check, poll)


def worker_env(url: URL, broker: str, queue: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLE_")}
    env.update({
        "CYCLE_DATABASE_URL": url.render_as_string(hide_password=False), "CYCLE_BROKER_URL": broker,
        "CYCLE_QUEUE": queue, "CYCLE_DATA_DIR": str(data_dir), "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
    })
    return env


def worker_options(args: argparse.Namespace, name: str) -> list[str]:
    return ["worker", "--pool", args.pool, "--concurrency", str(args.concurrency), "--no-beat",
            "--loglevel", args.loglevel, "--hostname", f"{name}@%h"]


def redis_keys_for(client: redis.Redis, queues: list[str], hostnames: list[str]) -> list[bytes]:
    """The broker's keys that belong to this run: its queues, their bindings, its workers' mailboxes."""
    found = []
    for key in client.scan_iter(count=1000):
        name = key.decode(errors="replace")
        if any(q in name for q in queues) or any(h in name for h in hostnames):
            found.append(key)
    return found


def clean_redis(client: redis.Redis, queues: list[str], hostnames: list[str], counter: str) -> int:
    removed = 0
    for key in [*redis_keys_for(client, queues, hostnames), counter.encode()]:
        removed += int(client.delete(key))
    # Remote control binds each worker's mailbox into one shared set; take this run's out of it.
    for key in client.scan_iter(match="_kombu.binding.*", count=1000):
        if client.type(key) == b"set":
            for member in client.smembers(key):
                if any(h in member.decode(errors="replace") for h in hostnames):
                    client.srem(key, member)
                    removed += 1
    # kombu keeps a deadline per binding table; drop those of tables that are gone now.
    deadlines = "_kombu.binding_deadlines"
    if client.type(deadlines) == b"zset":
        for member in client.zrange(deadlines, 0, -1):
            if not client.exists(f"_kombu.binding.{member.decode(errors='replace')}"):
                removed += int(client.zrem(deadlines, member))
    return removed
