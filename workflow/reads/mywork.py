""""My work": what one person must do now, across every running cycle, overdue first.

One query serves `cycle mywork --as`, the API and the pages. A person is named by
their id in a definition's directory or by their email, which is the same person
in every definition that lists them. Each cycle's facts come from a fixed number of queries
for all cycles together, so the cost follows the cycles, not a query per cycle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from workflow.definition import gates as gate_rules
from workflow.definition.calendar import Timeline, working_days_between
from workflow.definition.directory import find_person
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.model import DecisionGate, Definition, PapersGate, Person
from workflow.definition.who_acts import may, serves
from workflow.store.models import Cycle, Decision, Paper, StrandState
from workflow.store.unit import Store
from workflow.time.actuals import moved_days
from workflow.time.clock import local_date

from .running_facts import panels_and_fields
from .waiting import WaitingItem, waiting_in

RUNNING_COLUMNS = (Cycle.id, Cycle.key, Cycle.year, Cycle.state, Cycle.state_entered_at, Cycle.definition_id,
                   Cycle.definition_version)
"""What My work reads of each running cycle (a row, with the attributes of a `Cycle` it uses)."""


@dataclass(frozen=True)
class WorkItem:
    """One thing to do: fire a trigger, attach a paper, record a decision or move a strand on."""

    kind: str  # fire | attach | decide | strand
    cycle: str
    cycle_id: int
    person: str  # the person's id in this cycle's directory
    title: str
    stage: str
    due: dt.date | None
    working_days_left: int | None
    trigger: str | None = None
    paper: str | None = None
    board: str | None = None
    item: str | None = None
    strand: str | None = None
    # For a strand: the (trigger, title) pairs this person may fire on it now.
    strand_triggers: tuple[tuple[str, str], ...] = ()

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0


@dataclass(frozen=True)
class Work:
    """A person's work: what they may do now, and what they wait for from others, each overdue first."""

    to_do: list[WorkItem]
    waiting_for: list[WaitingItem]
    # cycle id -> the definition version it runs on and its year, for the words around each item
    cycles: dict[int, tuple[Definition, int]] = dataclasses.field(default_factory=dict)

    def to_do_json(self) -> list[dict[str, Any]]:
        """The list `cycle mywork --json` prints and `GET /api/v1/mywork` answers: what to do now."""
        return [dataclasses.asdict(i) | {"overdue": i.overdue} for i in self.to_do]

    def waiting_json(self) -> list[dict[str, Any]]:
        """The list `cycle mywork --waiting --json` prints and `GET /api/v1/mywork/waiting` answers."""
        return [dataclasses.asdict(i) | {"overdue": i.overdue, "from_whom": i.from_whom} for i in self.waiting_for]


def my_work(engine: Store, who: str) -> list[WorkItem]:
    """Everything `who` may do now in the running cycles whose directory lists them, overdue first."""
    return work_of(engine, who).to_do


def work_of(engine: Store, who: str) -> Work:
    """What `who` may do now and what they wait for, in the running cycles whose directory lists them."""
    now = engine.clock.now()
    today = local_date(now)
    with engine.sessions() as session:
        # Columns, not ORM objects: a list of 1,000 cycles and their strands needs no identity map.
        cycles = list(session.execute(select(*RUNNING_COLUMNS).where(Cycle.status == "active").order_by(Cycle.id)))
        mine: list[tuple[Any, Definition, Person]] = []
        for cycle in cycles:
            definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
            person = find_person(definition, who)
            if person is not None:
                mine.append((cycle, definition, person))
        # The facts of every running cycle, in a fixed number of queries (a list of 1,000 ids
        # would cost more to send than the rows it selects).
        running = select(Cycle.id).where(Cycle.status == "active").scalar_subquery()
        decisions: dict[int, dict[tuple[str, str], DecisionFact]] = defaultdict(dict)
        papers: dict[int, set[str]] = defaultdict(set)
        panels: dict[int, set[str]] = defaultdict(set)
        fields: dict[int, dict[str, str]] = defaultdict(dict)
        strands: dict[int, list[Any]] = defaultdict(list)  # rows of cycle_id, stage, strand, state
        moved: dict[int, dict[str, dt.date]] = {}
        if mine:
            for d in session.execute(select(Decision.cycle_id, Decision.board, Decision.item, Decision.outcome,
                                            Decision.votes_for, Decision.voting_present, Decision.id)
                                     .where(Decision.cycle_id.in_(running)).order_by(Decision.id)):
                decisions[d.cycle_id][(d.board, d.item)] = DecisionFact(d.outcome, d.votes_for, d.voting_present, d.id)
            for cycle_id, paper in session.execute(select(Paper.cycle_id, Paper.paper)
                                                   .where(Paper.cycle_id.in_(running))):
                papers[cycle_id].add(paper)
            for row in session.execute(select(StrandState.cycle_id, StrandState.stage, StrandState.strand,
                                              StrandState.state).where(StrandState.cycle_id.in_(running))):
                strands[row.cycle_id].append(row)
            # More queries only where panels are chosen or case fields kept.
            panels, fields = panels_and_fields(session, [definition for _, definition, _ in mine], running)
            moved = moved_days(session, running)  # a committee manager moved a meeting: its stage is due then
    timelines: dict[tuple[str, int, int], Timeline] = {}
    items: list[WorkItem] = []
    waiting: list[WaitingItem] = []
    for cycle, definition, person in mine:
        key = (definition.id, definition.version, cycle.year)
        if cycle.id in moved:
            timeline = Timeline(definition, cycle.year, moved[cycle.id])
        else:
            timeline = timelines.get(key) or timelines.setdefault(key, Timeline(definition, cycle.year))
        strand_facts = {}
        for row in strands[cycle.id]:
            spec = definition.stages[row.stage].strand(row.strand)
            lifecycle = definition.lifecycles[spec.lifecycle] if spec else None
            strand_facts[row.strand] = (row.stage, row.state, bool(lifecycle and row.state in lifecycle.finals))
        since = local_date(cycle.state_entered_at)
        facts = Facts(today=today, timeline=timeline, decisions=decisions[cycle.id], papers=papers[cycle.id],
                      strands=strand_facts, entered={cycle.state: since}, panels=panels[cycle.id],
                      fields=fields[cycle.id])
        items += _cycle_work(cycle, definition, person, facts, strands[cycle.id])
        waiting += waiting_in(cycle.key, cycle.id, since, definition, person, facts)
    # Overdue first, then the soonest due; undated work last.
    return Work(sorted(items, key=lambda i: (i.working_days_left is None, i.working_days_left or 0, i.cycle, i.title)),
                sorted(waiting, key=lambda i: (i.working_days_left is None, i.working_days_left or 0, i.cycle,
                                               i.title)),
                {cycle.id: (definition, cycle.year) for cycle, definition, _ in mine})


def _cycle_work(cycle: Any, definition: Definition, person: Person, facts: Facts,
                strand_rows: list[Any]) -> list[WorkItem]:
    stage = definition.stages[cycle.state]
    due = facts.timeline.stage_due(stage.id)
    left = working_days_between(facts.today, due) if due else None
    roles = set(person.roles)
    decides, attaches = may(definition, person.id, "decide"), may(definition, person.id, "attach")

    def item(kind: str, title: str, *, trigger: str | None = None, paper: str | None = None,
             board: str | None = None, item: str | None = None) -> WorkItem:
        return WorkItem(kind=kind, cycle=cycle.key, cycle_id=cycle.id, person=person.id, title=title,
                        stage=stage.id, due=due, working_days_left=left, trigger=trigger, paper=paper,
                        board=board, item=item)

    found: list[WorkItem] = []
    seen: set[tuple[str, ...]] = set()
    for t in definition.transitions_from(stage.id):
        if t.at is None and roles & set(t.roles) and not gate_rules.reasons(t.gates, definition, facts):
            found.append(item("fire", t.title or t.trigger, trigger=t.trigger))
        for gate in t.gates:
            if isinstance(gate, PapersGate) and attaches:
                for paper in gate.papers:
                    if paper not in facts.papers and ("attach", paper) not in seen:
                        seen.add(("attach", paper))
                        found.append(item("attach", f"Attach '{definition.papers[paper]}'", paper=paper))
            elif isinstance(gate, DecisionGate) and decides and serves(definition, gate.board, person.id):
                decided = facts.decisions.get((gate.board, gate.item))
                settled = decided is not None and gate_rules.leads_on(definition, facts, stage.id, gate.board, gate.item)
                if not settled and ("decide", gate.board, gate.item) not in seen:
                    seen.add(("decide", gate.board, gate.item))
                    name = definition.boards[gate.board].name
                    found.append(item("decide", f"Record the {name}'s decision on '{gate_rules.item_title(definition, gate.item, gate.board)}'",
                                      board=gate.board, item=gate.item))
    for row in strand_rows:
        spec = stage.strand(row.strand) if row.stage == stage.id else None
        if spec is None:
            continue
        lifecycle = definition.lifecycles[spec.lifecycle]
        if row.state in lifecycle.finals:
            continue
        owns = spec.owner in roles if spec.owner else False
        may_move = any(roles & set(t.roles) for t in lifecycle.transitions if row.state in t.sources)
        if owns or may_move:
            moves = tuple((t.trigger, t.title or t.trigger) for t in lifecycle.transitions
                          if row.state in t.sources and t.at is None and roles & set(t.roles))
            strand_due = facts.timeline.resolve(spec.due) if spec.due else due
            found.append(WorkItem(
                kind="strand", cycle=cycle.key, cycle_id=cycle.id, person=person.id, title=spec.title,
                stage=stage.id, due=strand_due,
                working_days_left=working_days_between(facts.today, strand_due) if strand_due else None,
                strand=row.strand, strand_triggers=moves))
    return found

