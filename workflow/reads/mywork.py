""""My work": what one person must do now, across every running cycle, overdue first.

One query serves `cycle mywork --as`, the API and the pages. A person is named by
their id in a definition's directory or by their email, which is the same person
in every definition that lists them. Each cycle's facts are `running_facts`' (the Cycles list's,
the same rule as one cycle's), read in a fixed number of queries for all the cycles that changed
together; what is worked out of them is kept between requests (`kept_work`), so a request works out
again only the cycles that changed since, in this process or another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from workflow.definition import gates as gate_rules
from workflow.definition.calendar import working_days_between
from workflow.definition.directory import find_person
from workflow.definition.gates import Facts
from workflow.definition.model import DecisionGate, Definition, PapersGate, Person
from workflow.definition.who_acts import may, serves
from workflow.store.models import Cycle
from workflow.store.unit import Store
from workflow.time.clock import local_date

from .kept_work import kept_for, stamp_of
from .running_facts import running_facts
from .waiting import WaitingItem, waiting_in

RUNNING_COLUMNS = (Cycle.id, Cycle.key, Cycle.year, Cycle.state, Cycle.state_entered_at, Cycle.definition_id,
                   Cycle.definition_version, Cycle.version)
"""What My work reads of each running cycle (a row, with the attributes of a `Cycle` it uses, and its stamp)."""
BY_IDS = 200
"""Up to this many changed cycles, their facts are selected by a list of their ids."""


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
        return to_do_json(self.to_do)

    def waiting_json(self) -> list[dict[str, Any]]:
        """The list `cycle mywork --waiting --json` prints and `GET /api/v1/mywork/waiting` answers."""
        return waiting_json(self.waiting_for)


# A field at a time, not `dataclasses.asdict`: its deep copy of every value cost more than the rest of
# a request for a thousand items.
_WORK_FIELDS = tuple(f.name for f in dataclasses.fields(WorkItem))
_WAITING_FIELDS = tuple(f.name for f in dataclasses.fields(WaitingItem))


def to_do_json(items: list[WorkItem]) -> list[dict[str, Any]]:
    """`items` as JSON objects (a page of them, or all): each field, and whether it is overdue."""
    return [{name: getattr(i, name) for name in _WORK_FIELDS} | {"overdue": i.overdue} for i in items]


def waiting_json(items: list[WaitingItem]) -> list[dict[str, Any]]:
    """`items` as JSON objects: each field, who can do it (an object each), from whom in words, overdue."""
    found = []
    for i in items:
        row = {name: getattr(i, name) for name in _WAITING_FIELDS}
        row["who"] = tuple(dataclasses.asdict(a) for a in i.who)  # in its place among the fields
        found.append(row | {"overdue": i.overdue, "from_whom": i.from_whom})
    return found


def my_work(engine: Store, who: str) -> list[WorkItem]:
    """Everything `who` may do now in the running cycles whose directory lists them, overdue first."""
    return work_of(engine, who).to_do


def work_of(engine: Store, who: str) -> Work:
    """What `who` may do now and what they wait for, in the running cycles whose directory lists them.

    Only the cycles that changed since an earlier request (or that no request has read yet) are worked
    out: the rest come from `kept_work`, checked against each cycle's version read here. The answer may
    be the one kept for an earlier request: read it, never change it."""
    now = engine.clock.now()
    today = local_date(now)
    kept = kept_for(engine)
    with engine.sessions() as session:
        # Read before the rows: a list worked out from rows newer than the digest is only ever fresher.
        running = _running_digest(engine, session)
        if running is not None and (whole := kept.whole(who, today, running)) is not None:
            return cast(Work, whole)
        # Columns, not ORM objects: a list of 1,000 cycles needs no identity map.
        cycles = list(session.execute(select(*RUNNING_COLUMNS).where(Cycle.status == "active").order_by(Cycle.id)))
        people: dict[tuple[str, int], Person | None] = {}  # a few definitions among many cycles
        mine: list[tuple[Any, Definition, Person]] = []
        for cycle in cycles:
            definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
            at = (definition.id, definition.version)
            if at not in people:
                people[at] = find_person(definition, who)
            if (person := people[at]) is not None:
                mine.append((cycle, definition, person))
        # What is kept of each cycle, read at the version just read: a cycle changed since (in this process
        # or another) is not found, and its facts are read below, after its row, so never older than it.
        found = [(stamp := stamp_of(cycle), *kept.find(cycle.id, stamp, person.id, today))
                 for cycle, _, person in mine]
        changed = [(cycle, definition) for (cycle, definition, _), (_, facts, _) in zip(mine, found, strict=True)
                   if facts is None]
        fresh: dict[int, Facts] = {}
        if changed:
            # The facts as the Cycles list reads them (decisions in force, the dates the cycle knows), in a
            # fixed number of queries: a few changed cycles selected by their ids, many by the running ones.
            among = [cycle.id for cycle, _ in changed] if len(changed) <= BY_IDS else None
            fresh = running_facts(session, changed, now, among)
    items: list[WorkItem] = []
    waiting: list[WaitingItem] = []
    for (cycle, definition, person), (stamp, facts, done) in zip(mine, found, strict=True):
        if facts is None:
            facts = fresh[cycle.id]
            kept.keep_facts(cycle.id, stamp, facts)
        if done is None:
            # The facts are kept without the day: today's is put in for the gates and the days left.
            of_today = dataclasses.replace(facts, today=today)
            done = (_cycle_work(cycle, definition, person, of_today),
                    waiting_in(cycle.key, cycle.id, local_date(cycle.state_entered_at), definition, person,
                               of_today))
            kept.keep_work(cycle.id, stamp, person.id, today, done)
        items += done[0]
        waiting += done[1]
    # Overdue first, then the soonest due; undated work last.
    work = Work(sorted(items, key=lambda i: (i.working_days_left is None, i.working_days_left or 0, i.cycle, i.title)),
                sorted(waiting, key=lambda i: (i.working_days_left is None, i.working_days_left or 0, i.cycle,
                                               i.title)),
                {cycle.id: (definition, cycle.year) for cycle, definition, _ in mine})
    if running is not None:
        kept.keep_whole(who, today, running, work)
    return work


RUNNING_DIGEST = text(
    "SELECT md5(string_agg(id || ':' || version || ':' || definition_version, ',' ORDER BY id)) "
    "FROM cycles WHERE status = 'active'")
"""Every running cycle's stamp in one value, worked out by PostgreSQL: it changes whenever one starts, ends or
changes (every stamp only ever grows, so it never comes back to an earlier value)."""


def _running_digest(engine: Store, session: Session) -> str | None:
    """The digest of the running cycles' stamps, or None on a database without md5 (SQLite: no list is kept
    whole there, and each cycle's work is still kept)."""
    if not engine.on_postgresql:
        return None
    return session.execute(RUNNING_DIGEST).scalar() or ""


def _cycle_work(cycle: Any, definition: Definition, person: Person, facts: Facts) -> list[WorkItem]:
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
    for strand, (in_stage, state, final) in facts.strands.items():
        spec = stage.strand(strand) if in_stage == stage.id else None
        if spec is None or final:
            continue
        lifecycle = definition.lifecycles[spec.lifecycle]
        owns = spec.owner in roles if spec.owner else False
        may_move = any(roles & set(t.roles) for t in lifecycle.transitions if state in t.sources)
        if owns or may_move:
            moves = tuple((t.trigger, t.title or t.trigger) for t in lifecycle.transitions
                          if state in t.sources and t.at is None and roles & set(t.roles))
            strand_due = facts.timeline.resolve(spec.due) if spec.due else due
            found.append(WorkItem(
                kind="strand", cycle=cycle.key, cycle_id=cycle.id, person=person.id, title=spec.title,
                stage=stage.id, due=strand_due,
                working_days_left=working_days_between(facts.today, strand_due) if strand_due else None,
                strand=strand, strand_triggers=moves))
    return found

