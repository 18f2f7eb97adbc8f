"""Where a cycle stands, and the list of cycles: what `cycle status` and the cycle pages show.

Exempt papers are named only to a reader entitled to them (`definition.entitlement`), and the resolution of a
decision on private business only to a reader entitled to read it (`meeting_business.resolution_withheld`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from workflow.commands.case_fields import values_of
from workflow.commands.cycles import definition_of, find_cycle
from workflow.commands.cycles import reader as checked_reader
from workflow.commands.decision_rules import superseded
from workflow.commands.facts import facts as gate_facts
from workflow.commands.meeting_business import resolution_withheld
from workflow.definition import gates as gate_rules
from workflow.definition.calendar import working_days_between
from workflow.definition.entitlement import may_see_paper
from workflow.definition.model import Definition, MilestoneDate
from workflow.reads.case_data import FieldShown, shown_fields
from workflow.reads.register import refuse_withheld
from workflow.store.models import Cycle, Decision, Paper, StrandState
from workflow.store.unit import Store


@dataclass
class Action:
    """Something that can be done from the current stage, and what stands in its way."""

    trigger: str
    title: str
    dest: str
    roles: list[str]
    people: list[str]
    blocked_by: list[str]
    at: str | None = None


@dataclass
class Status:
    cycle: str
    definition: str
    version: int
    year: int
    stage: str
    stage_title: str
    status: str
    owner: str | None
    board: str | None
    due: str | None
    working_days_left: int | None
    actions: list[Action]
    strands: list[dict[str, Any]]
    papers: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    upcoming: list[dict[str, Any]] = field(default_factory=list)
    fields: list[FieldShown] = field(default_factory=list)  # case data, personal values only to the entitled


def list_cycles(engine: Store) -> list[dict[str, Any]]:
    with engine.sessions() as session:
        rows = session.scalars(select(Cycle).order_by(Cycle.id)).all()
        result = []
        for c in rows:
            definition = definition_of(engine, session, c)
            result.append({"id": c.id, "cycle": c.key, "definition": c.definition_id,
                           "version": c.definition_version, "year": c.year, "stage": c.state,
                           "stage_title": definition.stages[c.state].title, "status": c.status,
                           "updated_at": c.updated_at.isoformat()})
        return result


def running_by_version(engine: Store, shown: int) -> dict[tuple[str, int], tuple[list[dict[str, Any]], int]]:
    """(definition, version) -> the first `shown` running cycles on it (as `list_cycles` gives each) and how many
    run on it in all: the definitions list names a few and counts the rest, however many cycles run."""
    found: dict[tuple[str, int], tuple[list[dict[str, Any]], int]] = {}
    with engine.sessions() as session:
        for c in session.execute(select(Cycle.key, Cycle.definition_id, Cycle.definition_version, Cycle.year,
                                        Cycle.state).where(Cycle.status == "active").order_by(Cycle.id)):
            rows, count = found.get((c.definition_id, c.definition_version), ([], 0))
            if len(rows) < shown:
                definition = engine.catalog.snapshot(session, c.definition_id, c.definition_version)
                rows.append({"cycle": c.key, "year": c.year, "stage_title": definition.stages[c.state].title})
            found[(c.definition_id, c.definition_version)] = (rows, count + 1)
    return found


def decision_register(definition: Definition, papers: list[Paper], found: Iterable[Decision],
                      reader: str | None) -> list[dict[str, Any]]:
    """A cycle's decisions (in id order) as `status` lists them, each saying whether it is still in force.

    The resolution, reason and priorities of each only for a `reader` who may read them
    (`meeting_business.resolution_withheld`); for anyone else they are empty and `withheld` says why."""
    rows = list(found)
    gone = superseded(d.details for d in rows)
    listed = []
    for d in rows:
        withheld = resolution_withheld(definition, papers, d, reader)
        details = {} if withheld else (d.details or {})
        listed.append({"id": d.id, "board": d.board, "item": d.item, "outcome": d.outcome, "for": d.votes_for,
                       "against": d.votes_against, "abstain": d.abstentions, "meeting_date": d.meeting_date.isoformat(),
                       "supersedes": (d.details or {}).get("supersedes"), "in_force": d.id not in gone,
                       "resolution": None if withheld else d.resolution, "reason": details.get("reason"),
                       "priorities": list(details.get("priorities", [])), "withheld": withheld})
    return listed


def ahead_of(definition: Definition, stage: str) -> set[str]:
    """The stages still to come from `stage` (itself included) and the meetings they are due at: a stage
    passed already, and a meeting only it was due at, are not "coming up" however far off their dates are."""
    stages = {stage}
    todo = [stage]
    while todo:
        for t in definition.transitions_from(todo.pop()):
            if t.dest not in stages:
                stages.add(t.dest)
                todo.append(t.dest)
    due_at = {s.due.milestone for s in definition.stages.values() if isinstance(s.due, MilestoneDate)}
    meetings = {m for m in definition.meetings if m not in due_at}  # a meeting no stage waits for stays listed
    meetings |= {s.due.milestone for sid, s in definition.stages.items()
                 if sid in stages and isinstance(s.due, MilestoneDate)}
    return stages | meetings


def status(engine: Store, cycle_ref: str | int, reader: str | None = None) -> Status:
    """Where the cycle stands; exempt papers are named only to a `reader` entitled to them."""
    now = engine.clock.now()
    with engine.sessions() as session:
        cycle = find_cycle(session, cycle_ref)
        definition = definition_of(engine, session, cycle)
        reader = checked_reader(definition, reader)
        refuse_withheld(session, definition, cycle, cycle_ref, reader)
        stage = definition.stages[cycle.state]
        facts = gate_facts(session, cycle, definition, now)
        timeline = facts.timeline
        due = timeline.stage_due(stage.id)
        actions = []
        if cycle.status == "active":
            for t in definition.transitions_from(stage.id):
                blocked = gate_rules.reasons(t.gates, definition, facts)
                people = [p.id for p in definition.people.values() if set(p.roles) & set(t.roles)]
                at = timeline.resolve(t.at).isoformat() if t.at else None
                actions.append(Action(t.trigger, t.title or t.trigger, t.dest, list(t.roles), people, blocked, at))
        strands = []
        for row in session.scalars(select(StrandState).where(StrandState.cycle_id == cycle.id,
                                                             StrandState.stage == stage.id)):
            spec = stage.strand(row.strand)
            lifecycle = definition.lifecycles[spec.lifecycle] if spec else None
            next_triggers = [t.trigger for t in lifecycle.transitions if row.state in t.sources] if lifecycle else []
            sdue = timeline.resolve(spec.due).isoformat() if spec and spec.due else None
            strands.append({"strand": row.strand, "title": spec.title if spec else row.strand,
                            "state": row.state, "complete": bool(lifecycle and row.state in lifecycle.finals),
                            "due": sdue, "next": next_triggers})
        papers = []
        attached = list(session.scalars(select(Paper).where(Paper.cycle_id == cycle.id).order_by(Paper.id)))
        for p in attached:
            seen = may_see_paper(definition, p, reader)
            papers.append({"paper": p.paper, "stage": p.stage, "title": p.title if seen else "(exempt paper)",
                           "sha256": p.sha256 if seen else None, "exempt": p.exempt, "withheld": not seen,
                           "attached_at": p.attached_at.isoformat()})
        decisions = decision_register(definition, attached, session.scalars(
            select(Decision).where(Decision.cycle_id == cycle.id).order_by(Decision.id)), reader)
        today = facts.today
        ahead = ahead_of(definition, stage.id) if cycle.status == "active" else set()
        upcoming = [{"date": day.isoformat(), "milestone": mid, "title": title,
                     "working_days": working_days_between(today, day)}
                    for day, mid, title in timeline.dated() if day >= today and mid in ahead][:5]
        return Status(
            cycle=cycle.key, definition=definition.id, version=definition.version, year=cycle.year,
            stage=stage.id, stage_title=stage.title, status=cycle.status,
            owner=stage.owner, board=definition.boards[stage.board].name if stage.board else None,
            due=due.isoformat() if due else None,
            working_days_left=working_days_between(today, due) if due else None,
            actions=actions, strands=strands, papers=papers, decisions=decisions, upcoming=upcoming,
            fields=shown_fields(definition, values_of(session, cycle.id), reader) if definition.fields else [],
        )
