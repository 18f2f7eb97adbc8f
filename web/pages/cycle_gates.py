"""The gates of the triggers a person may fire at a cycle, each met or with the engine's sentence for what is missing.

The sentences are `workflow.gates.unmet`'s, the same the CLI prints in `cycle status`;
this module only names a gate that is met, which the engine has no words for.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow import gates as gate_rules
from workflow.definition import (
    DecisionGate,
    Definition,
    Gate,
    MinimumLengthGate,
    NotBeforeGate,
    PapersGate,
    StrandsGate,
    Transition,
)
from workflow.gates import Facts

from .render import long_date


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
    match gate:
        case DecisionGate(board, item, _quorum):
            return f"The {definition.boards[board].name} carries '{definition.papers.get(item, item)}'"
        case PapersGate(papers):
            return "Attached: " + ", ".join(f"'{definition.papers[p]}'" for p in papers)
        case NotBeforeGate(date):
            return f"Not before {long_date(facts.timeline.resolve(date))}"
        case StrandsGate(stage):
            return f"Every strand of the {definition.stages[stage].title.lower()} is complete"
        case MinimumLengthGate(stage, period, strand):
            spec = definition.stages[stage]
            found = spec.strand(strand) if strand else None
            return f"The {(found.title if found else spec.title).lower()} has run at least {period}"
    raise TypeError(f"not a gate: {gate!r}")


def fireable(definition: Definition, stage: str, roles: set[str], facts: Facts) -> list[Fireable]:
    """The stage's triggers someone with `roles` may fire (not the scheduler's timed ones), gate by gate."""
    mine: list[Transition] = [t for t in definition.transitions_from(stage) if t.at is None and roles & set(t.roles)]
    return [Fireable(t.trigger, t.title or t.trigger, definition.stages[t.dest].title,
                     tuple(GateLine(gate_title(g, definition, facts), gate_rules.unmet(g, definition, facts))
                           for g in t.gates))
            for t in mine]
