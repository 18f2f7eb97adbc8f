"""What the gates read, for every running cycle at once: the facts `commands.facts.facts` finds for one.

A list of cycles (Cycles, My work, My boards) needs each cycle's facts; reading them a cycle at a
time is a handful of queries per cycle. Here they are a fixed number of queries for all the running
cycles together, each selecting by a subquery of their ids (a list of 1,000 ids would cost more to
send than the rows it selects), and the same facts, fact for fact, as the one-cycle read: decisions in
force (nothing a later decision amended or rescinded), papers attached, strands, and the timeline with
the dates the cycle has reached and the meetings moved, the panels chosen and the case fields set.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.decision_rules import superseded
from workflow.definition.calendar import Timeline
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.model import ENTERED, FIRED, Definition, milestone_key
from workflow.store.models import (
    CaseFieldValue,
    Cycle,
    Decision,
    HistoryEntry,
    PanelMember,
    Paper,
    StrandState,
)
from workflow.time.actuals import CHANGE, MEETING_CHANGES, uses_events
from workflow.time.clock import local_date

RUNNING = select(Cycle.id).where(Cycle.status == "active")


def running_facts(session: Session, cycles: Sequence[tuple[Cycle, Definition]], now: dt.datetime,
                  among: Any = None) -> dict[int, Facts]:
    """Cycle id -> its facts, for `cycles` (running ones, with the definition each runs on), in at most seven
    queries (the panels and the fields only where some definition has them). The facts are selected by
    `among` (the ids of `cycles`, a page of a list) or else every running cycle's (a subquery)."""
    if not cycles:
        return {}
    running = RUNNING.scalar_subquery() if among is None else among
    rows: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(select(Decision.id, Decision.cycle_id, Decision.board, Decision.item, Decision.outcome,
                                      Decision.votes_for, Decision.voting_present, Decision.details)
                               .where(Decision.cycle_id.in_(running)).order_by(Decision.id)):
        rows[row.cycle_id].append(row)
    papers: dict[int, set[str]] = defaultdict(set)
    for cycle_id, paper in session.execute(select(Paper.cycle_id, Paper.paper).where(Paper.cycle_id.in_(running))):
        papers[cycle_id].add(paper)
    strands: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for cycle_id, stage, strand, state in session.execute(
            select(StrandState.cycle_id, StrandState.stage, StrandState.strand, StrandState.state)
            .where(StrandState.cycle_id.in_(running))):
        strands[cycle_id].append((stage, strand, state))
    known = known_dates_of(session, cycles, running)
    panels, fields = panels_and_fields(session, [definition for _, definition in cycles], running)
    today = local_date(now)
    found = {}
    for cycle, definition in cycles:
        gone = superseded(r.details for r in rows[cycle.id])
        decisions = {(r.board, r.item): DecisionFact(r.outcome, r.votes_for, r.voting_present, r.id)
                     for r in rows[cycle.id] if r.id not in gone}
        strand_facts = {}
        for stage, strand, state in strands[cycle.id]:
            spec = definition.stages[stage].strand(strand)
            lifecycle = definition.lifecycles[spec.lifecycle] if spec else None
            strand_facts[strand] = (stage, state, bool(lifecycle and state in lifecycle.finals))
        found[cycle.id] = Facts(today=today, timeline=Timeline(definition, cycle.year, known.get(cycle.id) or None),
                                decisions=decisions, papers=papers[cycle.id], strands=strand_facts,
                                entered={cycle.state: local_date(cycle.state_entered_at)},
                                panels=panels[cycle.id], fields=fields[cycle.id])
    return found


def panels_and_fields(session: Session, definitions: Sequence[Definition],
                      running: Any) -> tuple[dict[int, set[str]], dict[int, dict[str, str]]]:
    """The panels chosen and the case fields set (a value not erased) of every running cycle, as
    `commands.facts.facts` reads them for one: a query each, and none where no definition has any."""
    panels: dict[int, set[str]] = defaultdict(set)
    fields: dict[int, dict[str, str]] = defaultdict(dict)
    if any(definition.panels for definition in definitions):
        for cycle_id, panel in session.execute(select(PanelMember.cycle_id, PanelMember.panel).distinct()
                                               .where(PanelMember.cycle_id.in_(running))):
            panels[cycle_id].add(panel)
    if any(definition.fields for definition in definitions):
        for cycle_id, name, value in session.execute(
                select(CaseFieldValue.cycle_id, CaseFieldValue.name, CaseFieldValue.value)
                .where(CaseFieldValue.cycle_id.in_(running), CaseFieldValue.value.is_not(None))):
            if value is not None:  # selected so; an erased value reads as not set
                fields[cycle_id][name] = value
    return panels, fields


def known_dates_of(session: Session, cycles: Sequence[tuple[Cycle, Definition]], running: Any) -> dict[int, dict[str, dt.date]]:
    """`actuals.known_dates` of each cycle: its meetings moved and, where its definition counts from events,
    the days it entered stages and fired triggers. The events are read only if some definition counts from them."""
    events = {cycle.id for cycle, definition in cycles if uses_events(definition)}
    wanted = HistoryEntry.action.in_((CHANGE, "start", "fire")) if events else MEETING_CHANGES
    moved: dict[int, dict[str, dt.date]] = defaultdict(dict)
    reached: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for cycle_id, action, data, at, trigger, to_state, strand in session.execute(
            select(HistoryEntry.cycle_id, HistoryEntry.action, HistoryEntry.data, HistoryEntry.at,
                   HistoryEntry.trigger, HistoryEntry.to_state, HistoryEntry.strand)
            .where(HistoryEntry.cycle_id.in_(running), wanted)
            .order_by(HistoryEntry.id)):
        if action == CHANGE:
            moved[cycle_id][data["meeting"]] = dt.date.fromisoformat(data["date"])
        elif cycle_id in events and strand is None:
            day = local_date(at)
            if to_state:
                reached[cycle_id][milestone_key(to_state, ENTERED)] = day
            if trigger:
                reached[cycle_id][milestone_key(trigger, FIRED)] = day
    found: dict[int, dict[str, dt.date]] = {}
    for cycle, _definition in cycles:
        dates = dict(moved.get(cycle.id, {}))
        if cycle.id in events:
            dates.update(reached.get(cycle.id, {}))
            dates[milestone_key(cycle.state, ENTERED)] = local_date(cycle.state_entered_at)
        found[cycle.id] = dates
    return found
