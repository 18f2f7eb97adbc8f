"""What holds each running cycle up, for the list of cycles: the gate sentences of the triggers people fire.

`status` says it of one cycle (each action's `blocked_by`); here it is said of many cycles in a
fixed number of queries (`running_facts`), by the same rule: the gates not met of each trigger from
the cycle's stage that a person fires (the scheduler fires the timed ones, so nothing holds them up).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from workflow.definition import gates as gate_rules
from workflow.definition.model import Definition
from workflow.store.models import Cycle
from workflow.store.unit import Store

from .running_facts import running_facts


def hold_ups(engine: Store, wanted: Callable[[Definition], bool] = lambda _: True,
             among: list[int] | None = None) -> dict[int, tuple[str, ...]]:
    """Running cycle id -> what holds it up, each sentence once, for the cycles whose definition is `wanted`;
    of the cycles `among` only (a page of a list: their facts alone are read), or of every running cycle."""
    now = engine.clock.now()
    with engine.sessions() as session:
        cycles = []
        chosen = select(Cycle).where(Cycle.status == "active")
        if among is not None:
            chosen = chosen.where(Cycle.id.in_(among))
        for cycle in session.scalars(chosen.order_by(Cycle.id)):
            definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
            if wanted(definition):
                cycles.append((cycle, definition))
        facts = running_facts(session, cycles, now, among)
    found = {}
    for cycle, definition in cycles:
        said: dict[str, None] = {}
        for t in definition.transitions_from(cycle.state):
            if t.at is None:
                said.update(dict.fromkeys(gate_rules.reasons(t.gates, definition, facts[cycle.id])))
        found[cycle.id] = tuple(said)
    return found
