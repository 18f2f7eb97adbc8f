"""The gates of the triggers a person may fire at a cycle, each met or with the engine's sentence for what is missing.

The sentences are `workflow.definition.gates.unmet`'s, the same the CLI prints in `cycle status`;
this module only names a gate that is met, which the engine has no words for.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.definition import gates as gate_rules
from workflow.definition.gates import Facts
from workflow.definition.model import (
    Definition,
    Gate,
    Transition,
)


@dataclass(frozen=True)
class GateLine:
    title: str  # what the gate asks, as a person says it
    missing: str | None  # the engine's sentence when it is not met


@dataclass(frozen=True)
class Fireable:
    """A stage trigger the person may fire, with each of its gates."""

    trigger: str
    title: str
    dest_title: str
    gates: tuple[GateLine, ...]

    @property
    def ready(self) -> bool:
        return all(g.missing is None for g in self.gates)


def gate_title(gate: Gate, definition: Definition, facts: Facts) -> str:
    """What the gate asks, in the words `cycle show` uses, with the date a not-before gate waits for."""
    said = gate_rules.describe(gate, definition, facts.timeline)
    return said[:1].upper() + said[1:]


def fireable(definition: Definition, stage: str, roles: set[str], facts: Facts) -> list[Fireable]:
    """The stage's triggers someone with `roles` may fire (not the scheduler's timed ones), gate by gate."""
    mine: list[Transition] = [t for t in definition.transitions_from(stage) if t.at is None and roles & set(t.roles)]
    return [Fireable(t.trigger, t.title or t.trigger, definition.stages[t.dest].title,
                     tuple(GateLine(gate_title(g, definition, facts), gate_rules.unmet(g, definition, facts))
                           for g in t.gates))
            for t in mine]
