"""The gates of the triggers a person may fire at a cycle, each met or with the engine's sentence for what is missing.

The sentences are `workflow.definition.gates.unmet`'s, the same the CLI prints in `cycle status`, naming who
can meet the gate; this module names a gate that is met, which the engine has no words for, and links an unmet
gate the person can meet themselves to the form that meets it, filled in (`who_acts` says who may).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from workflow.definition import gates as gate_rules
from workflow.definition.gates import Facts
from workflow.definition.model import (
    PANEL_COMMAND,
    DecisionGate,
    Definition,
    Gate,
    PanelGate,
    PapersGate,
    Transition,
)
from workflow.definition.who_acts import may_attach, may_record


@dataclass(frozen=True)
class GateLine:
    title: str  # what the gate asks, as a person says it
    missing: str | None  # the engine's sentence when it is not met
    forms: tuple[tuple[str, str], ...] = ()  # (address, words): the forms that meet it, filled in, for this person


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


def forms(gate: Gate, definition: Definition, facts: Facts, cycle: str, person: str) -> tuple[tuple[str, str], ...]:
    """The forms that meet an unmet gate, with the paper or the board and item chosen, if `person` may use them."""
    match gate:
        case PapersGate(papers) if may_attach(definition, person):
            return tuple((f"/cycles/{cycle}/papers/new?{urlencode({'paper': p})}", f"Attach ‘{definition.papers[p]}’")
                         for p in papers if p not in facts.papers)
        case DecisionGate(board, item) if may_record(definition, board, person) and not gate_rules.leads_on(
                definition, facts, facts.stage or "", board, item):
            name = definition.boards[board].name
            return ((f"/cycles/{cycle}/decisions/new?{urlencode({'board': board, 'item': item})}",
                     f"Record the {name}’s decision"),)
        case PanelGate(panel) if may_choose(definition, person):
            return ((f"/cycles/{cycle}/panels/{panel}", f"Choose the {definition.panels[panel].name}"),)
    return ()


def may_choose(definition: Definition, person: str) -> bool:
    """Holds a role `choose_panel` is granted to, as `workflow.commands.panels.choose_panel` checks."""
    held = set(definition.people[person].roles) if person in definition.people else set()
    return bool(held & set(definition.permissions.get(PANEL_COMMAND, ())))


def line(gate: Gate, definition: Definition, facts: Facts, cycle: str, person: str) -> GateLine:
    missing = gate_rules.unmet(gate, definition, facts)
    return GateLine(gate_title(gate, definition, facts), missing,
                    forms(gate, definition, facts, cycle, person) if missing else ())


def fireable(definition: Definition, stage: str, roles: set[str], facts: Facts, cycle: str,
             person: str) -> list[Fireable]:
    """The stage's triggers someone with `roles` may fire (not the scheduler's timed ones), gate by gate."""
    mine: list[Transition] = [t for t in definition.transitions_from(stage) if t.at is None and roles & set(t.roles)]
    return [Fireable(t.trigger, t.title or t.trigger, definition.stages[t.dest].title,
                     tuple(line(g, definition, facts, cycle, person) for g in t.gates))
            for t in mine]


def meetable(definition: Definition, stage: str, roles: set[str], facts: Facts, cycle: str,
             person: str) -> list[GateLine]:
    """The unmet gates of steps someone else takes that `person` can meet (the committee manager records the
    decision the report author's step waits for), each with its form."""
    found: list[GateLine] = []
    for t in definition.transitions_from(stage):
        if t.at is None and roles & set(t.roles):
            continue  # shown with the step itself
        for gate in t.gates:
            gated = line(gate, definition, facts, cycle, person)
            # One decision's branches (`outcome:`) share a form: offered once.
            if gated.forms and all(gated.forms != f.forms for f in found):
                found.append(gated)
    return found
