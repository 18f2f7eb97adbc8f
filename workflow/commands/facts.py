"""The facts gates read: decisions in force, papers attached, strands and their states, the dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from workflow.commands.decision_rules import superseded
from workflow.definition.calendar import Timeline
from workflow.definition.case_fields import FieldGate
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.model import (
    DecisionGate,
    Definition,
    Gate,
    NotBeforeGate,
    PanelGate,
    PapersGate,
    StrandsGate,
    Transition,
)
from workflow.store.models import Base, CycleRecord
from workflow.time.actuals import timeline_of
from workflow.time.clock import local_date

# What the gates read, as plain rows (no ORM objects are made for them).
STRANDS: Table = Base.metadata.tables["strands"]
DECISIONS_OF: Table = Base.metadata.tables["decisions"]
PAPERS_OF: Table = Base.metadata.tables["papers"]
LATEST_DECISIONS = (select(DECISIONS_OF.c.id, DECISIONS_OF.c.board, DECISIONS_OF.c.item, DECISIONS_OF.c.outcome,
                           DECISIONS_OF.c.votes_for, DECISIONS_OF.c.voting_present, DECISIONS_OF.c.details)
                    .where(DECISIONS_OF.c.cycle_id == bindparam("cycle_id")).order_by(DECISIONS_OF.c.id))
PAPERS_ATTACHED = select(PAPERS_OF.c.paper).where(PAPERS_OF.c.cycle_id == bindparam("cycle_id"))
PANELS_CHOSEN = (select(Base.metadata.tables["panel_members"].c.panel).distinct()
                 .where(Base.metadata.tables["panel_members"].c.cycle_id == bindparam("cycle_id")))
FIELDS_OF: Table = Base.metadata.tables["case_fields"]
FIELD_VALUES = select(FIELDS_OF.c.name, FIELDS_OF.c.value).where(FIELDS_OF.c.cycle_id == bindparam("cycle_id"),
                                                                 FIELDS_OF.c.value.is_not(None))
STRANDS_OF = select(STRANDS.c.stage, STRANDS.c.strand, STRANDS.c.state).where(STRANDS.c.cycle_id == bindparam("cycle_id"))


def facts(session: Session, cycle: CycleRecord, definition: Definition, now: dt.datetime,
          gates: Iterable[Gate] | None = None) -> Facts:
    """What the gates read: every fact, or only the kinds that `gates` need (no query for none)."""
    kinds = None if gates is None else {type(g) for g in gates}
    decisions: dict[tuple[str, str], DecisionFact] = {}
    of_cycle = {"cycle_id": cycle.id}
    if kinds is None or DecisionGate in kinds:
        # In id order, so each (board, item) keeps its latest decision that nothing amended or rescinded.
        rows = session.connection().execute(LATEST_DECISIONS, of_cycle).all()
        gone = superseded(row[6] for row in rows)
        decisions = {(board, item): DecisionFact(outcome, votes_for, voting_present, decision_id)
                     for decision_id, board, item, outcome, votes_for, voting_present, _ in rows
                     if decision_id not in gone}
    papers: set[str] = set()
    if kinds is None or PapersGate in kinds:
        papers = set(session.connection().execute(PAPERS_ATTACHED, of_cycle).scalars())
    strands: dict[str, tuple[str, str, bool]] = {}
    if kinds is None or StrandsGate in kinds:
        for stage, strand, state in session.connection().execute(STRANDS_OF, of_cycle):
            spec = definition.stages[stage].strand(strand)
            lifecycle = definition.lifecycles[spec.lifecycle] if spec else None
            strands[strand] = (stage, state, bool(lifecycle and state in lifecycle.finals))
    panels: set[str] = set()
    if kinds is None or PanelGate in kinds:
        panels = set(session.connection().execute(PANELS_CHOSEN, of_cycle).scalars())
    # Only a not-before gate reads dates; what the cycle knows of its own (entries, moved meetings) is a query.
    dated = kinds is None or NotBeforeGate in kinds
    timeline = timeline_of(session, cycle, definition) if dated else Timeline(definition, cycle.year)
    found = Facts(today=local_date(now), timeline=timeline, decisions=decisions,
                  papers=papers, strands=strands, entered={cycle.state: local_date(cycle.state_entered_at)},
                  panels=panels)
    if definition.fields and (kinds is None or FieldGate in kinds):
        found.fields = {name: value for name, value in session.connection().execute(FIELD_VALUES, of_cycle)}
    return found


def gates_of(transitions: Iterable[Transition]) -> list[Gate]:
    return [g for t in transitions for g in t.gates]


def may_have_deadlines(definition: Definition, stage_id: str) -> bool:
    """Can a deadline row exist for this stage? (see `deadlines.plan_stage` and the reminders)"""
    stage = definition.stages[stage_id]
    return (stage.due is not None or bool(stage.reminders) or any(s.at for s in stage.strands)
            or any(t.at is not None for t in definition.transitions_from(stage_id)))


def decision_ids(facts: Facts, taken: Transition) -> list[int]:
    """The latest decision behind each of the transition's decision gates, from the facts it passed on."""
    ids = []
    for gate in taken.gates:
        if isinstance(gate, DecisionGate):
            found = facts.decisions.get((gate.board, gate.item))
            if found is not None and found.id is not None:
                ids.append(found.id)
    return ids
