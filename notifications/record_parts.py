"""The parts of a sign-off record the template reads: decisions, papers, milestones, history lines, strands.

Each reads the cycle's rows as they stood when the record's step passed; `documents.Documents.context`
assembles them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.decision_rules import superseded
from workflow.definition.calendar import Timeline
from workflow.definition.entitlement import private_business
from workflow.definition.formatting import long_date, short_date_time, written_date
from workflow.definition.model import OUTCOMES, DecisionGate, Definition
from workflow.reads.case_data import HISTORY_ACTIONS, history_words
from workflow.store.models import (
    Cycle,
    Decision,
    DecisionAttendee,
    HistoryEntry,
    Paper,
    StrandState,
)
from workflow.time.moved_dates import RESCHEDULED

from .reminders import considered_at, latest_papers

PRIVATE = "This item was considered in private ({reasons}): the resolution is in the exempt version of {record}."
THIS_RECORD, ITS_RECORD = "this record", "its sign-off record"
WITHHELD_INTEREST = "declared an interest, recorded in the exempt version of this record"


def private_note(session: Session, cycle: Cycle, definition: Definition, decision: Decision,
                 record: str = THIS_RECORD) -> str:
    """What a public version says of `decision` instead of its resolution, or "" when it may say the resolution.

    The rule is `entitlement.private_business`, applied to the papers (the latest copy of each) attached
    before the decision was recorded for the stage whose gate awaits it; the paragraph in the words the
    record prints beside an exempt paper.
    """
    stages = [source for t in definition.transitions for g in t.gates
              if isinstance(g, DecisionGate) and g.board == decision.board and g.item == decision.item
              for source in t.sources]
    for stage in dict.fromkeys(stages):
        rows = latest_papers(row for row in considered_at(session, cycle, definition, stage)
                             if row.attached_at <= decision.recorded_at)
        if private_business(definition, rows, stage):
            reasons = dict.fromkeys(row.exempt_reason or "Schedule 12A" for row in rows)
            return PRIVATE.format(reasons="; ".join(reasons), record=record)
    return ""


def private_decisions(session: Session, cycle: Cycle, definition: Definition, until: dt.datetime) -> frozenset[int]:
    """The ids of the decisions recorded by `until` whose resolution a public version withholds (`private_note`)."""
    rows = session.scalars(select(Decision).where(Decision.cycle_id == cycle.id, Decision.recorded_at <= until))
    return frozenset(d.id for d in rows if private_note(session, cycle, definition, d))


def carried(session: Session, cycle: Cycle, definition: Definition, until: dt.datetime,
            own: int | None = None, exempt: bool = False) -> list[dict[str, Any]]:
    """The decisions in force by `until` that carried, or had an outcome a step waits for (`outcome:`, as a case
    closed when a review is not commissioned): an amended or rescinded one is not listed.

    An item considered wholly in private says so in place of its resolution (`private_note`), except the
    record's `own` decision in its exempt version: another stage's exempt business is its own board's."""
    awaited = {(g.board, g.item, OUTCOMES[g.wanted]) for t in definition.transitions for g in t.gates
               if isinstance(g, DecisionGate)}
    rows = list(session.scalars(select(Decision).where(Decision.cycle_id == cycle.id,
                                                       Decision.recorded_at <= until).order_by(Decision.id)))
    gone = superseded(d.details for d in rows)
    found = []
    for d in rows:
        if (d.outcome != "carried" and (d.board, d.item, d.outcome) not in awaited) or d.id in gone:
            continue
        private = "" if exempt and d.id == own else \
            private_note(session, cycle, definition, d, THIS_RECORD if d.id == own else ITS_RECORD)
        found.append({"board": definition.boards[d.board].name, "item": d.item,
                      "item_title": definition.item_title(d.board, d.item), "outcome": d.outcome,
                      "resolution": private or d.resolution, "private": private,
                      "meeting_date_text": long_date(d.meeting_date)})
    return found


def papers(session: Session, cycle: Cycle, stage: str, history: list[HistoryEntry]) -> list[Paper]:
    """The latest copy of each paper attached for this stage, up to the decision.

    Only this stage's papers: its exempt ones are all one board's business, so everyone the exempt
    version goes to may see every exempt paper it names (`workflow.definition.entitlement`).
    """
    ids = [h.data.get("paper_id") for h in history if h.action == "attach"]
    rows = [session.get(Paper, i) for i in ids if i is not None]
    return latest_papers(row for row in rows if row is not None and row.stage == stage)


def decision(session: Session, definition: Definition, decision: Decision, private: str = "") -> dict[str, Any]:
    """The decision as the record prints it; `private` (a public version's `private_note`) stands in for the
    resolution, and for what members declared an interest in, which may restate the exempt papers."""
    attendees = session.scalars(select(DecisionAttendee).where(DecisionAttendee.decision_id == decision.id)
                                .order_by(DecisionAttendee.id)).all()

    def who(a: DecisionAttendee) -> dict[str, Any]:
        person = definition.people.get(a.person)
        return {"title": person.title if person else a.person, "name": person.name if person else "",
                "membership": a.membership.replace("_", " "), "chair": a.membership in ("chair", "voting_chair"),
                "vote": a.vote or "", "interest": (WITHHELD_INTEREST if private and a.interest else a.interest or "")}

    return {
        "board": definition.boards[decision.board].name, "item": decision.item,
        "item_title": definition.item_title(decision.board, decision.item), "outcome": decision.outcome,
        "resolution": private or decision.resolution, "private": private,
        "meeting_date_text": long_date(decision.meeting_date),
        "votes_for": decision.votes_for, "votes_against": decision.votes_against,
        "abstentions": decision.abstentions, "voting_present": decision.voting_present,
        "quorum": decision.quorum, "id": decision.id,
        "chair": next((who(a) for a in attendees if a.attendance == "present"
                       and a.membership in ("chair", "voting_chair")), None),
        "present": [who(a) for a in attendees if a.attendance == "present" and a.vote],
        "non_voting_present": [who(a) for a in attendees if a.attendance == "present" and not a.vote],
        "apologies": [who(a) for a in attendees if a.attendance == "apologies"],
        "interests": [who(a) for a in attendees if a.interest],
    }


def milestones(definition: Definition, timeline: Timeline, history: list[HistoryEntry],
               current: str) -> list[dict[str, Any]]:
    left = {h.from_state: h.at for h in history if h.action == "fire" and not h.strand and h.from_state}
    rows = []
    for stage in definition.stages.values():
        due = timeline.stage_due(stage.id)
        if due is None:
            continue
        if stage.id in left:
            status = f"Complete ({written_date(left[stage.id])})"
        elif stage.id == current:
            status = "Current"
        else:
            status = "To come"
        rows.append({"date_text": long_date(due), "title": stage.title, "status": status})
    return rows


def entry(definition: Definition, h: HistoryEntry, session: Session, exempt_stage: str | None,
          private: frozenset[int] = frozenset()) -> dict[str, Any]:
    """One audit-trail row in people's words (names and titles, stage titles, English time); an exempt
    paper is named (with its comment) only in the exempt version of its own stage's record: `exempt_stage`
    is that stage, None for a public version. The comment on a decision in `private` (`private_decisions`)
    is left out, as its resolution is."""
    comment = h.comment
    person = definition.people.get(h.actor)
    actor = person.display if person else ("The scheduler" if h.actor == "system" else h.actor)

    def stage(name: str | None) -> str:
        return f"\u201c{definition.stages[name].title}\u201d" if name in definition.stages else f"'{name}'"

    transition = next((t for t in definition.transitions if t.trigger == h.trigger), None)
    sha256 = ""
    if h.action == "start":
        summary = f"started the cycle at {stage(h.to_state)}"
    elif h.action in ("decide", "rescind"):
        board = definition.boards[h.data["board"]].name if h.data.get("board") in definition.boards else ""
        summary = f"recorded decision {h.data.get('decision_id', '')} of the {board} on '{definition.item_title(h.data['board'], h.data['item'])}': " \
                  f"{h.data['outcome']}"
        if h.data.get("decision_id") in private:
            comment = None
    elif h.action == "attach":
        paper = session.get(Paper, h.data.get("paper_id"))
        if paper is None or (paper.exempt and paper.stage != exempt_stage):
            summary = "attached an exempt paper" if paper is not None else "attached a paper"
            comment = None
        else:
            summary = f"attached \u201c{paper.title if paper else h.data.get('paper')}\u201d"
            sha256 = str(h.data.get("sha256", ""))
    elif h.action == "overdue":
        summary = f"{stage(h.from_state)} fell overdue"
    elif h.action in HISTORY_ACTIONS:
        summary = history_words(definition, h.action, h.data)
        summary = summary[:1].lower() + summary[1:]
    elif h.action == RESCHEDULED:
        summary = f"{stage(h.data.get('stage'))} is now due on " \
                  f"{written_date(h.data['to'])}, with its meeting"
        comment = None  # the reason is the meeting's, on the row before
    elif h.action == "meeting":
        meeting = definition.meetings.get(h.data.get("meeting", ""))
        title = meeting.title if meeting else h.data.get("meeting")
        summary = f"cancelled the {title}" if h.data.get("cancelled") else \
            f"moved the {title} to {written_date(h.data['date'])}" + \
            (f" at {h.data['start']}" if h.data.get("start") else "")
        comment = f"Reason: {comment}" if comment else None
    elif h.strand:
        strand = next((s for st in definition.stages.values() for s in st.strands if s.id == h.strand), None)
        lifecycle = strand.lifecycle if strand else None
        summary = f"{strand.title if strand else h.strand}: {definition.trigger_title(h.trigger or '', lifecycle)} " \
                  f"({h.from_state} to {h.to_state})"
    else:
        summary = f"{transition.title if transition and transition.title else h.trigger}: " \
                  f"from {stage(h.from_state)} to {stage(h.to_state)}"
    if comment:
        summary += f". {comment}"
    return {"at": short_date_time(h.at), "actor": actor, "summary": summary,
            "sha256": sha256}


def priorities(session: Session, cycle: Cycle) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for decision in session.scalars(select(Decision).where(Decision.cycle_id == cycle.id,
                                                           Decision.outcome == "carried").order_by(Decision.id)):
        found = list(decision.details.get("priorities", found)) if decision.details else found
    return found


def strands(session: Session, cycle: Cycle, definition: Definition) -> list[dict[str, Any]]:
    notes: dict[str, list[str]] = {}
    for h in session.scalars(select(HistoryEntry).where(HistoryEntry.cycle_id == cycle.id,
                                                        HistoryEntry.strand.is_not(None))
                             .order_by(HistoryEntry.id)):
        if h.comment and h.strand:
            notes.setdefault(h.strand, []).append(h.comment)
    rows = []
    for row in session.scalars(select(StrandState).where(StrandState.cycle_id == cycle.id)
                               .order_by(StrandState.id)):
        spec = definition.stages[row.stage].strand(row.strand)
        rows.append({"title": spec.title if spec else row.strand, "state": row.state,
                     "notes": notes.get(row.strand, [])})
    return rows

# -- rendering and storing -------------------------------------------------------------
