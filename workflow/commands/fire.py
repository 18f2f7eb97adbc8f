"""Fire a trigger: move the cycle to its next stage, or a strand along its lifecycle.

The gates are checked against the facts they read (`facts`); the writes go in one go (`rows.write`).
A refused fire is counted (`store.tally`) after its transaction rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from workflow.commands.cycles import (
    SYSTEM_ACTOR,
    CycleRow,
    cycle_row,
    definition_of,
    ensure_active,
    roles_of,
)
from workflow.commands.facts import decision_ids, gates_of, may_have_deadlines
from workflow.commands.facts import facts as gate_facts
from workflow.commands.results import Fired
from workflow.commands.rows import (
    STRANDS,
    event_row,
    history_row,
    write,
)
from workflow.commands.start import enter
from workflow.definition import gates as gate_rules
from workflow.definition.loader import suggest
from workflow.definition.machine import FireContext
from workflow.definition.model import Definition
from workflow.errors import GateNotMet, InvalidInput, NotFound, Refused, RoleMissing
from workflow.store import tally
from workflow.store.unit import Store

STRAND_ROW = select(STRANDS.c.id, STRANDS.c.stage, STRANDS.c.state).where(
    STRANDS.c.cycle_id == bindparam("cycle_id"), STRANDS.c.strand == bindparam("strand"))


def fire(engine: Store, cycle_ref: str | int, trigger: str, actor: str, *, strand: str | None = None,
         comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
    return fire_seated(engine, lambda _session: (cycle_ref, actor), trigger, strand=strand, comment=comment,
                       data=data)


def fire_seated(engine: Store, seat: Callable[[Session], tuple[CycleRow | str | int, str]], trigger: str, *,
                strand: str | None = None, comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
    """`fire` for a caller who learns the cycle and who acts from a read in the fire's own transaction.

    `seat` runs first in the transaction and returns (cycle, actor), the cycle as a reference or as its row
    read in this transaction (`CycleRow`): the web service reads the sign-in and the cycle's row in one
    query, and that row is not read again. What `seat` raises is the caller's refusal, not a refused fire: not counted.

    On SQLite a command's transaction takes the database's one write lock as it begins (`BEGIN IMMEDIATE`):
    there `seat` reads first, in a read transaction of its own, so a request with a forged token is refused
    without ever holding the lock that real commands queue for.
    """
    seated = False
    try:
        seated_before: tuple[CycleRow | str | int, str] | None = None
        if not engine.on_postgresql:
            with engine.sessions() as reading:
                found, reader = seat(reading)
                seated_before = (found.id if isinstance(found, CycleRow) else found, reader)
        with engine.unit_of_work() as session:
            cycle, actor = seated_before or seat(session)
            seated = True
            if actor == SYSTEM_ACTOR:
                raise RoleMissing("'system' is the scheduler's own identity; act as yourself with --as")
            return fire_in(engine, session, cycle, trigger, actor, strand=strand, comment=comment, data=data)
    except (Refused, NotFound) as refused:
        # Counted after the rollback: the cycle's tables keep nothing of a refused fire.
        if seated:
            tally.record_refusal(engine, refused)
        raise


def fire_in(engine: Store, session: Session, cycle_ref: str | int | CycleRow, trigger: str, actor: str, *,
            strand: str | None = None, comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
    """`fire` inside a transaction the caller owns (the sweep marks its deadline in the same one)."""
    now = engine.clock.now()
    cycle = cycle_row(session, cycle_ref)
    definition = definition_of(engine, session, cycle)
    roles = roles_of(definition, actor)
    ensure_active(cycle)
    compiled = engine.machines.get(definition)
    if strand is not None:
        return fire_strand(engine, session, cycle, definition, compiled, strand, trigger, actor, roles, now,
                           comment, data)
    before = cycle.state
    machine = compiled.cycle
    facts = gate_facts(session, cycle, definition, now, gates_of(machine.candidates(before, trigger)))
    ctx = FireContext(definition, facts, roles)
    taken = machine.fire(before, trigger, ctx, what=f"cycle {cycle.key}")
    decisions = decision_ids(facts, taken)
    recorded = dict(data or {})
    if taken.gates:
        recorded["gates"] = [type(g).__name__ for g in taken.gates]
        recorded["decisions"] = list(decisions)
    history = history_row(engine, cycle, now, actor, "fire", trigger=trigger, from_state=before,
                          to_state=taken.dest, comment=comment, data=recorded)
    rows = []
    if taken.gates:
        rows.append(event_row(cycle, now, "GatePassed", trigger=trigger, from_stage=before,
                              to_stage=taken.dest, documents=list(taken.documents),
                              decisions=list(decisions), actor=actor))
    strands = enter(session, cycle, definition, taken.dest, now, from_state=before, events=rows,
                    trigger=trigger)
    moved: dict[str, Any] = {"state": taken.dest, "state_entered_at": now, "updated_at": now}
    if definition.stages[taken.dest].final:
        moved["status"] = "complete"
    # The deadlines of the stage left (overdue, timed steps, reminders) no longer apply; most
    # stages can have none, and then there is nothing to cancel.
    cancel = ({"stage": before, "done_at": now, "last_error": f"the cycle left '{before}'"}
              if may_have_deadlines(definition, before) else None)
    events = write(engine, session, cycle, moved, history, rows, new_strands=strands, cancel=cancel)
    return Fired(cycle.key, trigger, before, taken.dest, None, cycle.version + 1, events)


def fire_strand(engine: Store, session: Session, cycle: CycleRow, definition: Definition, compiled: Any, strand: str,
                trigger: str, actor: str, roles: tuple[str, ...], now: dt.datetime, comment: str | None,
                data: dict[str, Any] | None) -> Fired:
    row = session.connection().execute(STRAND_ROW, {"cycle_id": cycle.id, "strand": strand}).first()
    if row is None:
        every = [s.id for st in definition.stages.values() for s in st.strands]
        if strand in every:
            raise InvalidInput(f"strand '{strand}' has not opened yet: cycle {cycle.key} is at '{cycle.state}'")
        raise InvalidInput(f"there is no strand '{strand}' in '{definition.id}'{suggest(strand, every)}")
    if row.stage != cycle.state:
        raise InvalidInput(f"strand '{strand}' belongs to stage '{row.stage}', which the cycle has left "
                           f"(it is at '{cycle.state}')")
    spec = definition.stages[row.stage].strand(strand)
    assert spec is not None
    machine = compiled.lifecycles[spec.lifecycle]
    ctx = FireContext(definition, gate_facts(session, cycle, definition, now,
                                             gates_of(machine.candidates(row.state, trigger))), roles)
    if actor == SYSTEM_ACTOR and trigger in dict(spec.at):
        # The definition times this strand trigger: the scheduler acts with the roles it names.
        ctx.actor_roles = tuple({r for t in machine.candidates(row.state, trigger) for r in t.roles})
    before = row.state
    machine.fire(before, trigger, ctx, what=f"the strand '{spec.title}'")
    after = ctx.taken.dest if ctx.taken else before
    too_soon = gate_rules.strand_reasons(definition, ctx.facts, row.stage, strand, after)
    if too_soon:
        raise GateNotMet(f"{machine.named(trigger)} is not possible yet: " + gate_rules.joined(too_soon), too_soon)
    history = history_row(engine, cycle, now, actor, "fire", trigger=trigger, strand=strand, from_state=before,
                          to_state=after, comment=comment, data=data or {})
    rows = [event_row(cycle, now, "StrandChanged", strand=strand, stage=row.stage, from_state=before,
                      to_state=after, actor=actor)]
    # The cycle's version moves with its strands: strand fires and stage moves serialise.
    events = write(engine, session, cycle, {"updated_at": now}, history, rows,
                   strand_move={"id": row.id, "state": after, "updated_at": now})
    return Fired(cycle.key, trigger, before, after, strand, cycle.version + 1, events)
