""""Waiting for": what holds back a step a person would take, and who can do it, by name and role.

The report author waits for a board's decision the committee manager records, for papers
someone else attaches, for consultation strands their owners complete. An item is listed only
when someone else must act: what the person can do themselves is on their "to do" list.
The people named are `workflow.definition.who_acts`'s, the same a refusal names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.definition import gates as gate_rules
from workflow.definition.calendar import working_days_between
from workflow.definition.gates import Facts
from workflow.definition.model import (
    PANEL_COMMAND,
    DecisionGate,
    Definition,
    PanelGate,
    PapersGate,
    Person,
    StrandsGate,
)
from workflow.definition.who_acts import (
    Actor,
    attachers,
    either,
    holders,
    may_attach,
    may_record,
    recorders,
    strand_movers,
)


@dataclass(frozen=True)
class WaitingItem:
    """One thing a person waits for: what, from whom, since when, due when, and the step it holds back."""

    kind: str  # decision | paper | strand | panel
    cycle: str
    cycle_id: int
    person: str  # the one who waits, by their id in this cycle's directory
    title: str  # "the Risk Board's decision on 'Annual Strategic Assessment'"
    stage: str
    since: dt.date  # the day the cycle entered the stage that waits
    due: dt.date | None
    working_days_left: int | None
    trigger: str  # the step it holds back
    step: str  # that step's title
    who: tuple[Actor, ...]  # who can do it; empty when the directory names nobody
    board: str | None = None
    item: str | None = None
    paper: str | None = None
    strand: str | None = None

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0

    @property
    def from_whom(self) -> str:
        """'Helen Marsh (committee manager)', several joined with 'or'."""
        return either(list(self.who)) if self.who else "nobody: no one in the directory holds the role"


def waiting_in(cycle_key: str, cycle_id: int, since: dt.date, definition: Definition, person: Person,
               facts: Facts) -> list[WaitingItem]:
    """What `person` waits for in one cycle at its current stage (`facts.stage`)."""
    stage_id = facts.stage
    if stage_id is None or stage_id not in definition.stages:
        return []
    stage = definition.stages[stage_id]
    roles = set(person.roles)
    due = facts.timeline.stage_due(stage_id)
    attaches = may_attach(definition, person.id)
    found: list[WaitingItem] = []
    seen: set[tuple[str, ...]] = set()

    def add(kind: str, key: tuple[str, ...], title: str, who: list[Actor], t_trigger: str, step: str,
            when: dt.date | None = due, **ids: str) -> None:
        if key in seen:
            return
        seen.add(key)
        left = working_days_between(facts.today, when) if when else None
        found.append(WaitingItem(kind=kind, cycle=cycle_key, cycle_id=cycle_id, person=person.id, title=title,
                                 stage=stage_id, since=since, due=when, working_days_left=left, trigger=t_trigger,
                                 step=step, who=tuple(who), **ids))

    for t in definition.transitions_from(stage_id):
        fires = t.at is None and bool(roles & set(t.roles))
        owns = t.at is not None and stage.owner in roles
        if not (fires or owns):
            continue
        step = t.title or t.trigger
        for gate in t.gates:
            if gate_rules.unmet(gate, definition, facts) is None:
                continue
            match gate:
                case DecisionGate(board, item):
                    if may_record(definition, board, person.id):
                        continue  # on their own "to do" list
                    if gate_rules.leads_on(definition, facts, stage_id, board, item):
                        continue  # decided, and another step goes on from that outcome
                    name = definition.boards[board].name
                    title = f"the {name}'s decision on '{gate_rules.item_title(definition, item, board)}'"
                    add("decision", ("decision", board, item), title, recorders(definition, board), t.trigger, step,
                        board=board, item=item)
                case PapersGate(papers):
                    if attaches:
                        continue
                    for paper in papers:
                        if paper not in facts.papers:
                            add("paper", ("paper", paper), f"the paper '{definition.papers[paper]}'",
                                attachers(definition, stage_id), t.trigger, step, paper=paper)
                case PanelGate(panel):
                    choosers = holders(definition, definition.permissions.get(PANEL_COMMAND, ()))
                    if person.id not in {a.person for a in choosers}:
                        add("panel", ("panel", panel), f"the {definition.panels[panel].name} to be chosen", choosers,
                            t.trigger, step)
                case StrandsGate(strands_of):
                    for sid, (in_stage, state, final) in facts.strands.items():
                        spec = definition.stages[strands_of].strand(sid)
                        if in_stage != strands_of or final or spec is None:
                            continue
                        who = strand_movers(definition, strands_of, sid, state)
                        if person.id in {a.person for a in who}:
                            continue
                        when = facts.timeline.resolve(spec.due) if spec.due else due
                        add("strand", ("strand", sid), f"the strand '{spec.title}' to be completed", who,
                            t.trigger, step, when=when, strand=sid)
    return found
