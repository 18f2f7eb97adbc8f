"""The rows a command writes: history, outbox events, and a fire's writes in one go.

A fire writes with SQLAlchemy Core statements built once (see `write`): an ORM flush of the same
rows costs several times the client CPU, and the command never reads them back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, TextualSelect, bindparam, insert, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from workflow.commands.acting import VIA
from workflow.store.models import Base, Cycle, CycleRecord, HistoryEntry, OutboxEvent
from workflow.store.unit import CONCURRENT_CHANGE, Store

CYCLES: Table = Base.metadata.tables["cycles"]
HISTORY: Table = Base.metadata.tables["history"]
OUTBOX: Table = Base.metadata.tables["outbox"]
STRANDS: Table = Base.metadata.tables["strands"]
DEADLINES: Table = Base.metadata.tables["deadlines"]
# SET takes the columns given at execution; the WHERE is the optimistic version check.
MOVE_CYCLE = update(CYCLES).where(CYCLES.c.id == bindparam("where_id"),
                                  CYCLES.c.version == bindparam("where_version"))
MOVE_STRAND = update(STRANDS).where(STRANDS.c.id == bindparam("where_id"))
CANCEL_DEADLINES = update(DEADLINES).where(DEADLINES.c.cycle_id == bindparam("where_cycle"),
                                           DEADLINES.c.stage == bindparam("where_stage"),
                                           DEADLINES.c.status == "pending")
# inline(): no RETURNING of the new ids, which nothing reads.
INSERT_HISTORY = insert(HISTORY).inline()
INSERT_OUTBOX = insert(OUTBOX).inline()
INSERT_STRANDS = insert(STRANDS).inline()
HISTORY_COLUMNS = ("at", "actor", "action", "trigger", "strand", "from_state", "to_state", "comment", "data", "seal")
OUTBOX_COLUMNS = ("event_type", "payload", "created_at")
STRAND_COLUMNS = ("stage", "strand", "state", "updated_at")
_ONE_STATEMENT: dict[tuple[Any, ...], TextualSelect] = {}


def one_statement(moved: tuple[str, ...], events: int, strand_move: bool, new_strands: int,
                  cancel: bool) -> TextualSelect:
    """A command's writes as one PostgreSQL statement, with data-modifying CTEs, for `write`.

    The cycle's UPDATE carries the version check; every other write reads the row it RETURNS, so a
    lost check writes nothing at all, and the statement returns no row. Built once per shape.
    """
    shape = (moved, events, strand_move, new_strands, cancel)
    found = _ONE_STATEMENT.get(shape)
    if found is not None:
        return found
    binds = [bindparam("where_id", type_=CYCLES.c.id.type), bindparam("where_version", type_=CYCLES.c.version.type),
             bindparam("m_version", type_=CYCLES.c.version.type)]
    binds += [bindparam(f"m_{c}", type_=CYCLES.c[c].type) for c in moved]
    sets = ", ".join(f"{c} = :m_{c}" for c in (*moved, "version"))
    binds += [bindparam(f"h_{c}", type_=HISTORY.c[c].type) for c in HISTORY_COLUMNS]
    rows = []
    for i in range(events):
        binds += [bindparam(f"e{i}_{c}", type_=OUTBOX.c[c].type) for c in OUTBOX_COLUMNS]
        rows.append(f"({i}, " + ", ".join(f":e{i}_{c}" for c in OUTBOX_COLUMNS) + ")")
    sql = [
        f"WITH moved AS (UPDATE cycles SET {sets} WHERE id = :where_id AND version = :where_version RETURNING id)",
        f", history_row AS (INSERT INTO history (cycle_id, {', '.join(HISTORY_COLUMNS)}) "
        f"SELECT moved.id, {', '.join(f':h_{c}' for c in HISTORY_COLUMNS)} FROM moved)",
        # The events' ids follow their order in the command.
        f", outbox_rows AS (INSERT INTO outbox (cycle_id, {', '.join(OUTBOX_COLUMNS)}, attempts) "
        f"SELECT moved.id, {', '.join(f'e.{c}' for c in OUTBOX_COLUMNS)}, 0 FROM moved CROSS JOIN "
        f"(VALUES {', '.join(rows)}) AS e (n, {', '.join(OUTBOX_COLUMNS)}) ORDER BY e.n)",
    ]
    if strand_move:
        binds += [bindparam("s_id", type_=STRANDS.c.id.type), bindparam("s_state", type_=STRANDS.c.state.type),
                  bindparam("s_updated_at", type_=STRANDS.c.updated_at.type)]
        sql.append(", strand_row AS (UPDATE strands SET state = :s_state, updated_at = :s_updated_at "
                   "FROM moved WHERE strands.id = :s_id)")
    if new_strands:
        rows = []
        for i in range(new_strands):
            binds += [bindparam(f"n{i}_{c}", type_=STRANDS.c[c].type) for c in STRAND_COLUMNS]
            rows.append("(" + ", ".join(f":n{i}_{c}" for c in STRAND_COLUMNS) + ")")
        sql.append(f", new_strands AS (INSERT INTO strands (cycle_id, {', '.join(STRAND_COLUMNS)}) "
                   f"SELECT moved.id, {', '.join(f'n.{c}' for c in STRAND_COLUMNS)} FROM moved CROSS JOIN "
                   f"(VALUES {', '.join(rows)}) AS n ({', '.join(STRAND_COLUMNS)}))")
    if cancel:
        binds += [bindparam("d_stage", type_=DEADLINES.c.stage.type),
                  bindparam("d_done_at", type_=DEADLINES.c.done_at.type),
                  bindparam("d_last_error", type_=DEADLINES.c.last_error.type)]
        sql.append(", cancelled AS (UPDATE deadlines SET status = 'cancelled', done_at = :d_done_at, "
                   "last_error = :d_last_error FROM moved WHERE deadlines.cycle_id = moved.id "
                   "AND deadlines.stage = :d_stage AND deadlines.status = 'pending')")
    sql.append(" SELECT id FROM moved")
    # Typed result columns: the result's metadata is then built once and cached with the statement.
    return _ONE_STATEMENT.setdefault(shape, text("".join(sql)).bindparams(*binds).columns(CYCLES.c.id))


def with_operator(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    data = {**data, "os_account": store.operator} if store.operator else data
    via = VIA.get()  # the web session or API token that acted, by id (`workflow.commands.acting`)
    return {**data, "via": via} if via else data


def add_history(store: Store, session: Session, cycle: Cycle, now: dt.datetime, actor: str, action: str,
                **kw: Any) -> None:
    session.add(HistoryEntry(cycle_id=cycle.id, at=now, actor=actor, action=action,
                             data=with_operator(store, kw.pop("data", None) or {}), **kw))


def add_event(session: Session, cycle: Cycle, now: dt.datetime, event_type: str, **payload: Any) -> str:
    body = {"cycle_id": cycle.id, "cycle": cycle.key, "definition": cycle.definition_id,
            "definition_version": cycle.definition_version, "at": now.isoformat(), **payload}
    session.add(OutboxEvent(cycle_id=cycle.id, event_type=event_type, payload=body, created_at=now))
    return event_type


def event_row(cycle: CycleRecord, now: dt.datetime, event_type: str, **payload: Any) -> dict[str, Any]:
    """An outbox row, as `add_event` adds it, for `write` (or `start`) to insert."""
    body = {"cycle_id": cycle.id, "cycle": cycle.key, "definition": cycle.definition_id,
            "definition_version": cycle.definition_version, "at": now.isoformat(), **payload}
    return {"cycle_id": cycle.id, "event_type": event_type, "payload": body, "created_at": now}


def history_row(store: Store, cycle: CycleRecord, now: dt.datetime, actor: str, action: str, *, trigger: str | None,
                from_state: str | None, to_state: str | None, comment: str | None, data: dict[str, Any],
                strand: str | None = None) -> dict[str, Any]:
    row = {"cycle_id": cycle.id, "at": now, "actor": actor, "action": action, "trigger": trigger,
           "strand": strand, "from_state": from_state, "to_state": to_state, "comment": comment,
           "data": with_operator(store, data), "seal": None}
    if store.sealer is not None:
        row["seal"] = store.sealer.seal(cycle.id, row)
    return row


def write(store: Store, session: Session, cycle: CycleRecord, moved: dict[str, Any], history: dict[str, Any],
          events: list[dict[str, Any]], *, strand_move: dict[str, Any] | None = None,
          new_strands: list[dict[str, Any]] = (),  # type: ignore[assignment]
          cancel: dict[str, Any] | None = None) -> list[str]:
    """Write a fire: the cycle's UPDATE under its optimistic version check, then the history row,
    the outbox rows (in order), the strand row moved or the strand rows opened, and the deadlines
    cancelled; returns the event types.

    The UPDATE always bumps the version (to `cycle.version + 1`), so every command on a cycle (stage
    moves and strand fires alike) serialises against the others. A lost check raises StaleDataError
    with nothing written, which `Store.unit_of_work` reports as ConcurrentChange. A `Cycle` the session
    holds for this row (the sweep's) follows it. On PostgreSQL it all goes in one statement
    (`one_statement`), elsewhere one per table.
    """
    connection = session.connection()
    version = cycle.version
    held = session.identity_map.get(identity_key(Cycle, cycle.id))  # the sweep's, when it holds one
    try:
        if store.on_postgresql:
            params = {"where_id": cycle.id, "where_version": version, "m_version": version + 1}
            params.update({f"m_{c}": v for c, v in moved.items()})
            params.update({f"h_{c}": history[c] for c in HISTORY_COLUMNS})
            for i, event in enumerate(events):
                params.update({f"e{i}_{c}": event[c] for c in OUTBOX_COLUMNS})
            if strand_move is not None:
                params.update({f"s_{c}": v for c, v in strand_move.items()})
            for i, row in enumerate(new_strands):
                params.update({f"n{i}_{c}": row[c] for c in STRAND_COLUMNS})
            if cancel is not None:
                params.update({f"d_{c}": v for c, v in cancel.items()})
            statement = one_statement(tuple(moved), len(events), strand_move is not None, len(new_strands),
                                      cancel is not None)
            if connection.execute(statement, params).first() is None:
                raise StaleDataError(CONCURRENT_CHANGE)
        else:
            result = connection.execute(
                MOVE_CYCLE, {"where_id": cycle.id, "where_version": version, "version": version + 1, **moved})
            if result.rowcount != 1:
                raise StaleDataError(CONCURRENT_CHANGE)
            if strand_move is not None:
                connection.execute(MOVE_STRAND, {"where_id": strand_move["id"], "state": strand_move["state"],
                                                 "updated_at": strand_move["updated_at"]})
            connection.execute(INSERT_HISTORY, history)
            connection.execute(INSERT_OUTBOX, events)
            if new_strands:
                connection.execute(INSERT_STRANDS, new_strands)
            if cancel is not None:
                connection.execute(CANCEL_DEADLINES, {
                    "where_cycle": cycle.id, "where_stage": cancel["stage"], "status": "cancelled",
                    "done_at": cancel["done_at"], "last_error": cancel["last_error"]})
    except BaseException:
        if held is not None:
            session.expire(held)  # whatever the caller does with the transaction, the row is reloaded
        raise
    if held is not None:
        for name, value in moved.items():
            set_committed_value(held, name, value)
        set_committed_value(held, "version", version + 1)
    return [e["event_type"] for e in events]
