"""A cycle's audit trail and its outbox, as a reader may see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflow.commands.cycles import definition_of, find_cycle
from workflow.commands.cycles import reader as checked_reader
from workflow.commands.meeting_business import resolution_withheld
from workflow.definition.entitlement import may_see_paper
from workflow.reads.register import refuse_withheld
from workflow.store.models import Decision, HistoryEntry, OutboxEvent, Paper
from workflow.store.unit import Store

DECIDED = ("decide", "rescind")
"""The history rows of a decision (an amendment is a "decide" row), each naming it by `decision_id`."""


def history(engine: Store, cycle_ref: str | int, reader: str | None = None) -> list[dict[str, Any]]:
    """The audit trail; an exempt attach's comment and fingerprint only for a `reader` entitled to the paper; the
    comment and reason of a decision, amendment or rescission only for a `reader` who may read its resolution
    (`meeting_business.resolution_withheld`: private business, a case's personal data)."""
    with engine.sessions() as session:
        cycle = find_cycle(session, cycle_ref)
        definition = definition_of(engine, session, cycle)
        reader = checked_reader(definition, reader)
        refuse_withheld(session, definition, cycle, cycle_ref, reader)
        papers = list(session.scalars(select(Paper).where(Paper.cycle_id == cycle.id)))
        exempt = {p.id: p for p in papers if p.exempt}
        decisions = {d.id: d for d in session.scalars(select(Decision).where(Decision.cycle_id == cycle.id))}
        rows = []
        for h in session.scalars(select(HistoryEntry).where(HistoryEntry.cycle_id == cycle.id)
                                 .order_by(HistoryEntry.id)):
            comment, data = h.comment, h.data
            paper = exempt.get(int(data.get("paper_id") or 0)) if h.action == "attach" else None
            if paper is not None and not may_see_paper(definition, paper, reader):
                comment = None
                data = {k: v for k, v in data.items() if k not in ("sha256", "size")} | {"withheld": True}
            decision = decisions.get(int(data.get("decision_id") or 0)) if h.action in DECIDED else None
            why = resolution_withheld(definition, papers, decision, reader) if decision is not None else None
            if why is not None:
                comment = None
                data = {k: v for k, v in data.items() if k != "reason"} | {"withheld": why}
            rows.append({"id": h.id, "at": h.at.isoformat(), "actor": h.actor, "action": h.action,
                         "trigger": h.trigger, "strand": h.strand, "from": h.from_state, "to": h.to_state,
                         "comment": comment, "data": data})
        return rows


def outbox(engine: Store, cycle_ref: str | int) -> list[dict[str, Any]]:
    with engine.sessions() as session:
        cycle = find_cycle(session, cycle_ref)
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.cycle_id == cycle.id)
                               .order_by(OutboxEvent.id))
        return [{"id": e.id, "type": e.event_type, "payload": e.payload,
                 "dispatched": e.dispatched_at is not None} for e in rows]
