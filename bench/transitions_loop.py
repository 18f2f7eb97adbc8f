"""The loop definition's cycles, fired by the engine or by hand-written SQL of the same shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import URL, create_engine, insert, select, update

from workflow.app import App
from workflow.store.models import Base

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


# -- workload 1: the loop definition through the engine ------------------------------------


class Loop:
    """Cycles of the loop definition, fired round-robin by the engine or by a raw baseline."""

    def __init__(self, app: App, path: Path, count: int) -> None:
        self.app = app
        self.keys: list[str] = []
        self.state: dict[str, str] = {}
        for i in range(count):
            fired = app.engine.start(path, FIRST_YEAR + i, LOOP_ACTOR, outside_folder=True)
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
