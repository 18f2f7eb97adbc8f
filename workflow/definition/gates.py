"""Gates: the conditions a transition waits for, each explained in a sentence.

A gate reads the cycle's facts through `Facts` (decisions, papers, strands,
today), so this module stays pure; the engine fills `Facts` from the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from workflow.definition.calendar import Timeline, add_period, whole_periods
from workflow.definition.case_fields import FieldGate, describe_gate, gate_unmet
from workflow.definition.model import (
    OUTCOMES,
    PANEL_COMMAND,
    DecisionGate,
    Definition,
    Gate,
    MinimumLengthGate,
    NotBeforeGate,
    PanelGate,
    PapersGate,
    StrandsGate,
)

from .formatting import long_date, written_date
from .who_acts import attachers, does, holders, recorders, strand_movers


@dataclass(frozen=True)
class DecisionFact:
    """A board's latest recorded decision on an item."""

    outcome: str  # carried, lost or deferred
    votes_for: int
    voting_present: int
    id: int | None = None  # the decision's row, recorded with the transition it lets through


@dataclass
class Facts:
    today: dt.date
    timeline: Timeline
    decisions: dict[tuple[str, str], DecisionFact] = field(default_factory=dict)
    papers: set[str] = field(default_factory=set)
    # strand id -> (stage, state, is_final)
    strands: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    # the stage the cycle is in -> the day it was entered (its strands opened the same day)
    entered: dict[str, dt.date] = field(default_factory=dict)
    panels: set[str] = field(default_factory=set)  # the panels chosen for the cycle
    fields: dict[str, str] = field(default_factory=dict)  # the instance's case fields that have a value

    @property
    def stage(self) -> str | None:
        """The stage the cycle is in, where the facts say (its owners attach the papers its gates wait for)."""
        return next(iter(self.entered), None)


def item_title(definition: Definition, item: str, board: str = "") -> str:
    """An item a board decides, in the definition's words (`Definition.item_title`)."""
    return definition.item_title(board, item)


def unmet(gate: Gate, definition: Definition, facts: Facts) -> str | None:
    """Why `gate` is not met, or None when it is."""
    match gate:
        case DecisionGate(board, item, quorum):
            name = definition.boards[board].name
            needed = quorum if quorum is not None else definition.boards[board].quorum
            decision = facts.decisions.get((board, item))
            titled = item_title(definition, item, board)
            if decision is None:
                who = does(recorders(definition, board), "records it", "record it")
                return f"the {name} has not yet recorded its decision on '{titled}'; {who}"
            if decision_meets(gate, decision, needed):
                return None
            who = does(recorders(definition, board), "records its next decision", "record it")
            if gate.outcome is not None and decision.outcome != OUTCOMES[gate.wanted]:
                return _other_outcome(gate, definition, facts, decision, f"the {name}'s decision on '{titled}'", who)
            if decision.outcome != "carried":
                return f"the {name}'s decision on '{titled}' was {decision.outcome}, not carried; {who}"
            return (f"the {name}'s decision on '{titled}' had {decision.voting_present} voting members "
                    f"present, fewer than the quorum of {needed}; {who}")
        case PapersGate(papers):
            missing = [p for p in papers if p not in facts.papers]
            if missing:
                titles = ", ".join(f"'{definition.papers[p]}'" for p in missing)
                them = "them" if len(missing) > 1 else "it"
                who = does(attachers(definition, facts.stage), f"attaches {them}", f"attach {them}")
                return f"these papers are not attached yet: {titles}; {who}"
            return None
        case NotBeforeGate(date):
            earliest = facts.timeline.resolve(date)
            if facts.today < earliest:
                return f"it cannot happen before {written_date(earliest)} (today is {written_date(facts.today)})"
            return None
        case StrandsGate(stage):
            open_strands = [
                definition.stages[stage].strand(sid)
                for sid, (in_stage, _state, final) in facts.strands.items()
                if in_stage == stage and not final
            ]
            if open_strands:
                names = ", ".join(f"'{s.title}'" for s in open_strands if s is not None)
                return (f"these strands of the {definition.stages[stage].title.lower()} are not complete: {names}; "
                        + _who_completes(definition, facts, stage))
            return None
        case MinimumLengthGate(stage, period, strand):
            since = facts.entered.get(stage)
            if since is None:  # the cycle is not in that stage: the gate is another source's
                return None
            earliest = add_period(since, period)
            if facts.today >= earliest:
                return None
            spec = definition.stages[stage]
            found = spec.strand(strand) if strand else None
            name = (found.title if found else spec.title).lower()
            ran = whole_periods(since, facts.today, period.unit)
            unit = period.unit if ran != 1 else period.unit[:-1]
            return (f"the {name} has run {ran} {unit} of the {period.amount} it must run; it can close on "
                    f"{long_date(earliest)}")
        case PanelGate(panel):
            if panel in facts.panels:
                return None
            who = does(holders(definition, definition.permissions.get(PANEL_COMMAND, ())), "chooses it", "choose it")
            return f"the {definition.panels[panel].name} has not been chosen yet; {who}"
        case FieldGate():
            return gate_unmet(gate, definition.fields, facts.fields, facts.today)
    raise TypeError(f"not a gate: {gate!r}")


OUTCOME_SAID = {"carried": "carried", "lost": "not carried", "deferred": "deferred", "rescinded": "rescinded"}
"""A recorded outcome as a sentence says it."""


def decision_meets(gate: DecisionGate, decision: DecisionFact, needed: int) -> bool:
    """Is `decision` the outcome the gate waits for? A vote counts only when quorate; a deferral whatever the
    attendance (an inquorate meeting defers the item)."""
    if decision.outcome != OUTCOMES[gate.wanted]:
        return False
    return gate.wanted == "deferred" or decision.voting_present >= needed


def leads_on(definition: Definition, facts: Facts, stage: str, board: str, item: str) -> bool:
    """Does the board's decision in force on the item let some transition from `stage` go on? Then nobody waits
    for another decision, whichever way it went (a decision gate's `outcome:`)."""
    decision = facts.decisions.get((board, item))
    if decision is None:
        return False
    return any(decision_meets(g, decision, g.quorum or definition.boards[board].quorum)
               for t in definition.transitions_from(stage) for g in t.gates
               if isinstance(g, DecisionGate) and (g.board, g.item) == (board, item))


def _other_outcome(gate: DecisionGate, definition: Definition, facts: Facts, decision: DecisionFact, said: str,
                   who: str) -> str:
    """'the Panel's decision on 'Commission' was carried, and this step is taken only when it is not carried; it
    leads to 'Commission the review' instead', or, when it leads nowhere, who records the next decision."""
    was = OUTCOME_SAID.get(decision.outcome, decision.outcome)
    wanted = OUTCOME_SAID[OUTCOMES[gate.wanted]]
    instead = [t.title or t.trigger for t in definition.transitions_from(facts.stage or "")
               if any(isinstance(g, DecisionGate) and (g.board, g.item) == (gate.board, gate.item)
                      and decision_meets(g, decision, g.quorum or definition.boards[g.board].quorum)
                      for g in t.gates)]
    then = f"it leads to '{instead[0]}' instead" if instead else who
    return f"{said} was {was}, and this step is taken only when it is {wanted}; {then}"


def _who_completes(definition: Definition, facts: Facts, stage: str) -> str:
    """'Tom Whitfield (consultation lead) completes them', or who completes which where the strands differ."""
    groups: dict[str, list[str]] = {}
    for sid, (in_stage, state, final) in facts.strands.items():
        spec = definition.stages[stage].strand(sid)
        if in_stage == stage and not final and spec is not None:
            who = strand_movers(definition, stage, sid, state)
            groups.setdefault(does(who, "completes", "complete"), []).append(f"'{spec.title}'")
    if len(groups) == 1:
        return next(iter(groups)) + " them"
    return ", ".join(f"{who} {' and '.join(titles)}" for who, titles in groups.items())


def reasons(gates: tuple[Gate, ...], definition: Definition, facts: Facts) -> list[str]:
    return [reason for gate in gates if (reason := unmet(gate, definition, facts)) is not None]


def joined(found: list[str]) -> str:
    """Several reasons as sentences: each says what is missing and, after a semicolon, who does it."""
    return ". ".join(r if i == 0 else r[:1].upper() + r[1:] for i, r in enumerate(found))


def strand_reasons(definition: Definition, facts: Facts, stage: str, strand: str, dest: str) -> list[str]:
    """Why a strand may not reach `dest` yet: a strand with `at_least` may not finish before it has run that long.

    Strands share their lifecycle's transitions, so this gate is the strand's own, not the transition's.
    """
    spec = definition.stages[stage].strand(strand)
    if spec is None or spec.timing.at_least is None or dest not in definition.lifecycles[spec.lifecycle].finals:
        return []
    reason = unmet(MinimumLengthGate(stage, spec.timing.at_least, strand), definition, facts)
    return [reason] if reason else []


def describe(gate: Gate, definition: Definition, timeline: Timeline | None = None) -> str:
    """What a gate asks for, in words, for `cycle show`, the state diagram and the pages; with a cycle year's
    timeline, a date the gate waits for is given."""
    match gate:
        case DecisionGate(board, item, quorum):
            needed = quorum or definition.boards[board].quorum
            does_it = {"carried": "carries", "not_carried": "does not carry", "deferred": "defers"}[gate.wanted]
            if gate.wanted == "deferred":
                return f"{definition.boards[board].name} defers '{item_title(definition, item, board)}'"
            return (f"{definition.boards[board].name} {does_it} '{item_title(definition, item, board)}' "
                    f"(quorum {needed} voting members)")
        case PapersGate(papers):
            return "papers attached: " + ", ".join(definition.papers.get(p, p) for p in papers)
        case NotBeforeGate(date):
            return f"not before {written_date(timeline.resolve(date))}" if timeline else "not before a date"
        case StrandsGate(stage):
            return f"all strands of '{definition.stages[stage].title if stage in definition.stages else stage}' complete"
        case MinimumLengthGate(stage, period, strand):
            spec = definition.stages.get(stage)
            found = spec.strand(strand) if spec and strand else None
            return f"'{found.title if found else spec.title if spec else stage}' has run at least {period}"
        case PanelGate(panel):
            return f"the {definition.panels[panel].name} chosen" if panel in definition.panels else f"{panel} chosen"
        case FieldGate():
            return describe_gate(gate, definition.fields)
    return str(gate)
