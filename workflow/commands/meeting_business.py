"""A board meeting's business as its minutes take it: the decisions recorded for one board on one day.

A board meeting is a board id and a day: the decisions every cycle and case recorded for that board with that
meeting date, in the order they were recorded. A decision is private business (taken after the public and
press are excluded) by the one rule the agenda, the public site and the sign-off records use,
`entitlement.private_business`: the stage it closes considered at least one paper (the latest copy of each,
attached before the decision) and every one was exempt (Schedule 12A). An item with public and exempt papers
was debated in public and its minute is public. Who may read a private minute is
`entitlement.entitled_to_stage` of that stage.

Each minute has a key that stays the same from the draft on: 'minutes' (the previous meeting's minutes
approved at this one), 'interests', 'decision:<id>' for each decision, and 'exclusion' before the private
ones, 'exempt:<id>' for a public item's exempt papers where the agenda took them as their own private
"exempt information" item. Numbers are given to keys (`workflow.commands.minutes`), so they never move.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.commands import agenda_build
from workflow.definition.entitlement import (
    considering_stages,
    declares_personal,
    entitled_to_stage,
    may_see_personal,
    private_business,
)
from workflow.definition.formatting import written_date
from workflow.definition.model import Board, DecisionGate, Definition
from workflow.errors import NotFound
from workflow.store.models import Cycle, Decision, MinutesApproval, Paper
from workflow.store.unit import Store

PARAGRAPH = re.compile(r"paragraph (\d)")


@dataclass(frozen=True)
class Business:
    """One decision of the meeting, with what the minutes need of it."""

    key: str  # 'decision:<id>'
    decision: Decision
    cycle: str
    definition: Definition
    title: str
    private_stages: tuple[str, ...]  # the stages whose exempt papers it considered; () if public
    paragraphs: tuple[int, ...]  # of Schedule 12A, from those papers
    annex: bool = False  # the exempt papers of a public item, minuted on their own as its "exempt information"

    @property
    def private(self) -> bool:
        return bool(self.private_stages)


@dataclass(frozen=True)
class Meeting:
    """A board's meeting: the board as its definitions describe it, the business recorded, earlier approvals."""

    board: str
    day: dt.date
    spec: Board
    definitions: tuple[Definition, ...]  # of the cycles with business at the meeting, latest cycle first
    business: tuple[Business, ...]
    approved_here: tuple[MinutesApproval, ...]  # earlier meetings' minutes approved at this one

    @property
    def prefix(self) -> str:
        return next((d.boards[self.board].minute_prefix for d in self.definitions
                     if d.boards[self.board].minute_prefix), "")

    @property
    def keys(self) -> list[str]:
        """The minutes in their order: previous minutes, interests, public business, exclusion, private."""
        public = [b.key for b in self.business if not b.private]
        private = [b.key for b in self.business if b.private]
        return [*(["minutes"] if self.approved_here else []), "interests", *public,
                *(["exclusion", *private] if private else [])]


def decision_stages(definition: Definition, board: str, item: str) -> tuple[str, ...]:
    """The stages a decision of `board` on `item` closes: the sources of the transitions that wait for it."""
    return tuple(dict.fromkeys(source for t in definition.transitions for g in t.gates
                               if isinstance(g, DecisionGate) and (g.board, g.item) == (board, item)
                               for source in t.sources))


def private_stages(definition: Definition, papers: list[Paper], decision: Decision) -> tuple[str, ...]:
    """The stages `decision` closes at which it is private business by the one rule (`entitlement.private_business`),
    with the papers attached when it was recorded (as its sign-off record's public version has it) or with today's
    (as the minutes read it): either makes it private, so the rule fails closed. () for public business."""
    before = [p for p in papers if p.attached_at <= decision.recorded_at]
    return tuple(stage for stage in decision_stages(definition, decision.board, decision.item)
                 if any(private_business(definition, rows, stage) for rows in (before, papers)))


PRIVATE, PERSONAL = "private business", "personal data"
"""Why a decision's resolution, reason and priorities are withheld from a reader (`resolution_withheld`)."""


def resolution_withheld(definition: Definition, papers: list[Paper], decision: Decision,
                        reader: str | None) -> str | None:
    """Why `reader` (None: the public) may not read the resolution, reason and priorities of `decision` (or the
    comment recorded with it), or None when they may: the one rule for the status, the decision register, the
    history and the public site.

    PRIVATE when it is private business (`private_stages`) and the reader is not entitled to the exempt papers of
    such a stage (`entitlement.entitled_to_stage`): the resolution on a private item is for the exempt version only.
    PERSONAL when the definition declares personal case fields (a case's resolution may name its subject) and the
    reader may not see them (`entitlement.may_see_personal`).
    """
    private = private_stages(definition, papers, decision)
    if private and not (reader is not None and any(entitled_to_stage(definition, stage, reader)
                                                   for stage in private)):
        return PRIVATE
    if declares_personal(definition) and not may_see_personal(definition, reader):
        return PERSONAL
    return None


def meeting_days(session: Session, board: str, before: dt.date) -> list[dt.date]:
    """The days before `before` on which the board decided something, oldest first."""
    return list(session.scalars(select(Decision.meeting_date).where(Decision.board == board,
                                                                   Decision.meeting_date < before)
                                .distinct().order_by(Decision.meeting_date)))


def gather(store: Store, session: Session, board: str, day: dt.date) -> Meeting:
    """The meeting's business, or NotFound when nothing was recorded for the board on that day."""
    rows = list(session.scalars(select(Decision).where(Decision.board == board, Decision.meeting_date == day)
                                .options(selectinload(Decision.attendees)).order_by(Decision.id)))
    if not rows:
        raise NotFound(f"no decision is recorded for a meeting of '{board}' on {written_date(day)}; minutes are "
                       "drafted from the decisions recorded for the meeting")
    cycles = {c.id: c for c in session.scalars(select(Cycle).where(Cycle.id.in_({r.cycle_id for r in rows})))}
    attached: dict[int, list[Paper]] = {}
    for paper in session.scalars(select(Paper).where(Paper.cycle_id.in_(list(cycles))).order_by(Paper.id)):
        attached.setdefault(paper.cycle_id, []).append(paper)
    versions: dict[tuple[str, int], Definition] = {}
    business: list[Business] = []
    annexes = exempt_items(store, session, board, day)
    for row in rows:
        cycle = cycles[row.cycle_id]
        definition = versions.setdefault(
            (cycle.definition_id, cycle.definition_version),
            store.catalog.snapshot(session, cycle.definition_id, cycle.definition_version))
        if board not in definition.boards:
            continue  # a definition migrated away from the board: its old decisions have no board to minute
        papers = latest(p for p in attached.get(cycle.id, []) if p.attached_at <= row.recorded_at)
        private = tuple(stage for stage in decision_stages(definition, board, row.item)
                        if private_business(definition, papers, stage))
        paragraphs = tuple(sorted({int(m[1]) for p in papers if p.exempt for stage in private
                                   if stage in considering_stages(definition, p.paper, p.stage)
                                   and (m := PARAGRAPH.search(p.exempt_reason or ""))}))
        title = definition.item_title(board, row.item)
        business.append(Business(f"decision:{row.id}", row, cycle.key, definition, title, private, paragraphs))
        if not private and f"cycle:{cycle.id}:{row.item}" in annexes:
            business.append(annex(definition, row, cycle.key, title, papers, board))
    if not business:
        raise NotFound(f"no definition running today has a board '{board}'")
    latest_first = sorted(business, key=lambda b: -b.decision.cycle_id)
    distinct: dict[tuple[str, int], Definition] = {}
    for b in latest_first:
        distinct.setdefault((b.definition.id, b.definition.version), b.definition)
    definitions = tuple(distinct.values())
    approved = tuple(session.scalars(select(MinutesApproval).where(MinutesApproval.board == board,
                                                                   MinutesApproval.approved_on == day)
                                     .order_by(MinutesApproval.meeting_date)))
    return Meeting(board, day, definitions[0].boards[board], definitions, tuple(business), approved)


def exempt_items(store: Store, session: Session, board: str, day: dt.date) -> set[str]:
    """The agenda's items ('cycle:<id>:<item>') whose exempt papers it took in private as their own "exempt
    information" item (`agenda_items`): only those are minuted in the private part; none if no meeting was set."""
    try:
        built = agenda_build.build(session, store, board, day)
    except NotFound:
        return set()
    return {d.item.key.removesuffix(":exempt") for d in built.private if d.item.key.endswith(":exempt")}


def annex(definition: Definition, row: Decision, cycle: str, title: str, papers: list[Paper], board: str) -> Business:
    """The private minute of a public item's exempt papers: read by those entitled at the stages considering them."""
    exempt = [p for p in papers if p.exempt]
    stages = tuple(stage for stage in decision_stages(definition, board, row.item)
                   if any(stage in considering_stages(definition, p.paper, p.stage) for p in exempt))
    paragraphs = tuple(sorted({int(m[1]) for p in exempt if (m := PARAGRAPH.search(p.exempt_reason or ""))}))
    return Business(f"exempt:{row.id}", row, cycle, definition, f"{title}: exempt information", stages,
                    paragraphs, annex=True)


def latest(rows: Iterable[Paper]) -> list[Paper]:
    """The latest copy of each paper: a public paper and an exempt annex under one paper id are two papers."""
    found: dict[tuple[str, bool], Paper] = {}
    for row in rows:
        found[(row.paper, row.exempt)] = row
    return list(found.values())


def attendees_of(meeting: Meeting) -> dict[str, tuple[Definition, str, str]]:
    """Person id -> (definition, membership, attendance) over all the meeting's business: present at any item
    is present; apologies only from those never recorded present."""
    found: dict[str, tuple[Definition, str, str]] = {}
    for business in meeting.business:
        for a in business.decision.attendees:
            if a.attendance == "present" or a.person not in found:
                found[a.person] = (business.definition, a.membership, a.attendance)
    return found


def summary(business: Business) -> dict[str, Any]:
    """A decision's vote in numbers, for the minute and the API."""
    d = business.decision
    return {"outcome": d.outcome, "for": d.votes_for, "against": d.votes_against, "abstain": d.abstentions,
            "voting_present": d.voting_present, "quorum": d.quorum}
