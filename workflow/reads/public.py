"""The public part of the site: what a resident may see of each board, with no sign-in and no person.

The only read the public pages and feeds call. Every function here answers for nobody in particular
(`entitlement` with no reader), so what it returns is public by construction:

- each board's meetings, one per (board, day) as the agenda and the minutes have them, holding the business of
  every cycle due at it, moves and cancellations applied (`commands.meetings.schedule`);
- at each meeting, the items its stages put before the board (`entitlement.considering_stages`), each under
  the definition's own title for it; an item that is private business (`entitlement.private_business`: its
  stage considers papers, all exempt under Schedule 12A) is listed by that title and the paragraph only: never
  the attached paper's title, file, comment or the resolution on it, nor its sign-off record;
- the public papers (never an exempt one), the public version of each sign-off record (a document kind of the
  definition's, never an agenda pack or minutes, which `issued_documents` lists) except a private item's
  (it carries the resolution), and the decisions in force on public items;
- never a person of the directory, a case's personal fields or outside parties (not read at all), and never an
  instance of a register listed only to the entitled (`register.withheld_from` with no reader).

`issued_documents` is the one place where the issued public agenda pack and the approved minutes of a meeting
are listed, for the agenda (`agenda.public_agenda(store, board, day)`) and the minutes to extend.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.attach import SCHEDULE_12A
from workflow.commands.meeting_business import PRIVATE
from workflow.commands.meetings import Scheduled, schedule
from workflow.definition.calendar import Timeline
from workflow.definition.entitlement import (
    considering_stages,
    may_see_document,
    may_see_paper,
    private_business,
)
from workflow.definition.model import DecisionGate, Definition, Meeting
from workflow.reads.public_issued import (
    MINUTES,
    PACK,
    PACK_SPEC,
    approval,
    approved_minutes,
    issued_packs,
)
from workflow.reads.register import withheld_from
from workflow.reads.running_facts import known_dates_of
from workflow.reads.status import decision_register
from workflow.store.models import Cycle, Decision, Document, Paper
from workflow.store.unit import Store
from workflow.time.actuals import changes_of

PAPER, RECORD = "paper", "record"
"""The kinds of public document a download address names: `paper-12`, `record-5`."""


@dataclass(frozen=True)
class PublicDocument:
    """A document the public may read and download: a public paper, the public version of a sign-off record,
    an issued public agenda pack or approved minutes (`public_issued`)."""

    ref: str  # its address on the public site: 'paper-12', 'record-5', 'pack-7', 'minutes-3'
    kind: str  # 'Report', 'Sign-off record', 'Agenda pack', 'Minutes'
    title: str
    published: dt.datetime
    board: str
    meeting: str | None = None  # the `PublicMeeting.key` it belongs to


@dataclass(frozen=True)
class PublicDecision:
    """A decision in force on a public item."""

    id: int
    item_title: str
    outcome: str
    resolution: str
    votes_for: int
    votes_against: int
    abstentions: int
    meeting_date: dt.date
    recorded_at: dt.datetime


@dataclass
class PublicItem:
    """An item of business at a meeting. `private`: the Schedule 12A paragraphs when its papers are all exempt
    (then nothing but its title and the paragraphs is shown); `annex`: the same, for exempt papers considered in
    private beside public ones."""

    item: str
    title: str
    private: list[str] = field(default_factory=list)
    annex: list[str] = field(default_factory=list)
    papers: list[PublicDocument] = field(default_factory=list)
    decision: PublicDecision | None = None


@dataclass
class PublicMeeting:
    """One board meeting as it now stands, with its public business: a board's meeting is (board, day), as the
    agenda and the minutes have it, and holds the business of every cycle due at it (`_merged`)."""

    key: str  # its address: the day, '2021-08-19' ('2021-08-19-cancelled' for a cancelled one)
    uid: str  # the invitations' UID of (the first cycle's) meeting, so a subscribed calendar follows a move
    cycle_title: str
    board: str
    board_name: str
    meeting: Meeting  # the definition's, with the start it was moved to
    day: dt.date
    cancelled: bool
    moved: bool
    sequence: int
    items: list[PublicItem] = field(default_factory=list)
    records: list[PublicDocument] = field(default_factory=list)  # public sign-off records of its business
    issued: list[PublicDocument] = field(default_factory=list)  # `issued_documents`: agenda pack, minutes

    @property
    def hours(self) -> str:
        """'10:00 to 12:00' (UK time), or nothing when the definition gives the day only."""
        if self.meeting.start is None:
            return ""
        start = dt.datetime.combine(self.day, self.meeting.start)
        return f"{start:%H:%M} to {start + dt.timedelta(minutes=self.meeting.minutes):%H:%M}"

    @property
    def documents(self) -> list[PublicDocument]:
        """Everything public of the meeting that can be downloaded: issued first, then reports and records."""
        return [*self.issued, *(p for item in self.items for p in item.papers), *self.records]

    @property
    def decisions(self) -> list[PublicDecision]:
        return [item.decision for item in self.items if item.decision is not None]


@dataclass(frozen=True)
class PublicBoard:
    id: str
    name: str
    meetings: list[PublicMeeting]

    def coming(self, today: dt.date) -> list[PublicMeeting]:
        return [m for m in self.meetings if m.day >= today]

    def past(self, today: dt.date) -> list[PublicMeeting]:
        return [m for m in reversed(self.meetings) if m.day < today]

    @property
    def documents(self) -> list[PublicDocument]:
        """Every public document of the board, newest first (the Atom feed)."""
        return sorted((d for m in self.meetings for d in m.documents), key=lambda d: (d.published, d.ref),
                      reverse=True)


@dataclass(frozen=True)
class PublicFile:
    """Where a public document's bytes are: a paper (`engine.papers`), a record or pack (the documents store), or
    approved minutes (their public part, rendered)."""

    kind: str  # PAPER | RECORD (a sign-off record or an agenda pack) | MINUTES (rendered from `minutes`)
    sha256: str
    filename: str
    media_type: str
    board: str = ""  # MINUTES: whose meeting, for `workflow.reads.minutes.public_minutes_of`
    day: dt.date | None = None


def boards(engine: Store) -> list[PublicBoard]:
    """Every board of every cycle's definition, by name, with its meetings."""
    found: dict[str, PublicBoard] = {}
    for meeting in _meetings(engine):
        found.setdefault(meeting.board, PublicBoard(meeting.board, meeting.board_name, [])).meetings.append(meeting)
    for board_id, name in _board_names(engine).items():
        found.setdefault(board_id, PublicBoard(board_id, name, []))
    return sorted(found.values(), key=lambda b: b.name.lower())


def board(engine: Store, board_id: str) -> PublicBoard | None:
    """One board with its meetings by date, or None for a board no cycle has."""
    names = _board_names(engine)
    if board_id not in names:
        return None
    return PublicBoard(board_id, names[board_id], _meetings(engine, board_id))


def meeting(engine: Store, board_id: str, key: str) -> PublicMeeting | None:
    """One meeting of a board by its key (`PublicMeeting.key`), or None."""
    return next((m for m in _meetings(engine, board_id) if m.key == key), None)


def public_file(engine: Store, ref: str) -> PublicFile | None:
    """The file of a public document by its `ref`; None alike for one that is unknown and one that is exempt."""
    kind, _, number = ref.partition("-")
    if kind not in (PAPER, RECORD, PACK, MINUTES) or not number.isdigit() or len(number) > 9:
        return None
    listed = {d.ref for m in _meetings(engine) for d in m.documents}
    if ref not in listed:  # listed publicly, by the same rules as the pages: nothing else is served
        return None
    with engine.sessions() as session:
        if kind == PAPER:
            paper = session.get(Paper, int(number))
            return PublicFile(PAPER, paper.sha256, paper.filename, paper.media_type) if paper else None
        if kind == MINUTES:
            found = approval(session, int(number))
            return PublicFile(MINUTES, "", f"minutes-{found.board}-{found.meeting_date.isoformat()}.pdf",
                              "application/pdf", found.board, found.meeting_date) if found else None
        record = session.get(Document, int(number))
        if record is None:
            return None
        name = f"agenda-pack-{record.id}.pdf" if kind == PACK else f"{record.spec}-{record.id}.pdf"
        return PublicFile(RECORD, record.pdf_sha256, name, "application/pdf")


def issued_documents(session: Session, meetings: list[PublicMeeting]) -> None:
    """THE place for each meeting's issued public agenda pack and approved minutes (`PublicMeeting.issued`),
    as `public_issued` finds them: the download route and `public_file` serve only refs listed here or below."""
    by_day = {(m.board, m.day): m for m in meetings if not m.cancelled}
    names = {m.board: m.board_name for m in meetings}
    for found in [*issued_packs(session), *approved_minutes(session, names)]:
        at = by_day.get((found.board, found.day))
        if at is not None:
            at.issued.append(PublicDocument(found.ref, found.kind, found.title, found.published, found.board, at.key))


def paragraph(reason: str | None) -> str:
    """'Schedule 12A, paragraph 7: Information relating to ...' from a paper's stored reason (which says just that)."""
    if reason and reason.startswith("Schedule 12A, paragraph "):
        number = reason.removeprefix("Schedule 12A, paragraph ").split(":", 1)[0]
        if number.isdigit() and int(number) in SCHEDULE_12A:
            return f"Schedule 12A, paragraph {number}: {SCHEDULE_12A[int(number)]}"
    return "Schedule 12A to the Local Government Act 1972"


def _board_names(engine: Store) -> dict[str, str]:
    with engine.sessions() as session:
        versions = session.execute(select(Cycle.definition_id, Cycle.definition_version).distinct()).all()
        names: dict[str, str] = {}
        for definition_id, version in sorted(versions, key=lambda v: -v[1]):  # the newest version's name
            for found in engine.catalog.snapshot(session, definition_id, version).boards.values():
                names.setdefault(found.id, found.name)
        return names


def _meetings(engine: Store, board_id: str | None = None) -> list[PublicMeeting]:
    """The public meetings of every cycle (of `board_id`), by day: a fixed number of queries."""
    with engine.sessions() as session:
        cycles = [(c, engine.catalog.snapshot(session, c.definition_id, c.definition_version))
                  for c in session.scalars(select(Cycle).order_by(Cycle.id))]
        ids = [c.id for c, _ in cycles]
        papers: dict[int, list[Paper]] = defaultdict(list)
        for paper in session.scalars(select(Paper).where(Paper.cycle_id.in_(ids)).order_by(Paper.id)):
            papers[paper.cycle_id].append(paper)
        decisions: dict[int, list[Decision]] = defaultdict(list)
        for decision in session.scalars(select(Decision).where(Decision.cycle_id.in_(ids)).order_by(Decision.id)):
            decisions[decision.cycle_id].append(decision)
        records: dict[int, list[Document]] = defaultdict(list)
        for record in session.scalars(select(Document).where(Document.cycle_id.in_(ids), Document.version == "public",
                                                             Document.spec != PACK_SPEC).order_by(Document.id)):
            records[record.cycle_id].append(record)
        moved = changes_of(session, select(Cycle.id).where(Cycle.id.in_(ids)).scalar_subquery())
        known = known_dates_of(session, cycles, select(Cycle.id).where(Cycle.id.in_(ids)).scalar_subquery())
        found: list[PublicMeeting] = []
        for cycle, definition in cycles:
            exempt = [p for p in papers[cycle.id] if p.exempt]
            if definition.instances.cases and withheld_from(definition, cycle, exempt, None):
                continue  # a case at its private stage: the public register does not list it either
            timeline = Timeline(definition, cycle.year, known.get(cycle.id) or None)
            for sitting in schedule(definition, cycle.year, moved.get(cycle.id, {})):
                if board_id is None or sitting.meeting.board == board_id:
                    found.append(_meeting(definition, cycle, timeline, sitting, papers[cycle.id],
                                          decisions[cycle.id], records[cycle.id]))
        meetings = _merged(found)
        issued_documents(session, meetings)
    return meetings


def _merged(parts: list[PublicMeeting]) -> list[PublicMeeting]:
    """Each cycle's sitting of a board on a day, as one meeting per (board, day), by day and hour."""
    groups: dict[tuple[str, str], list[PublicMeeting]] = defaultdict(list)
    for part in sorted(parts, key=lambda m: (m.day, m.cancelled, m.meeting.start or dt.time.min, m.uid)):
        groups[(part.board, part.key)].append(part)
    merged = []
    for same in groups.values():
        first = same[0]
        merged.append(PublicMeeting(
            first.key, first.uid, "; ".join(dict.fromkeys(p.cycle_title for p in same)), first.board,
            first.board_name, first.meeting, first.day, first.cancelled, any(p.moved for p in same),
            max(p.sequence for p in same), [i for p in same for i in p.items], [r for p in same for r in p.records]))
    return merged


def _meeting(definition: Definition, cycle: Cycle, timeline: Timeline, sitting: Scheduled, papers: list[Paper],
             decisions: list[Decision], records: list[Document]) -> PublicMeeting:
    spec = sitting.meeting
    key = f"{sitting.day.isoformat()}{'-cancelled' if sitting.cancelled else ''}"
    stages = [s.id for s in definition.stages.values()
              if s.board == spec.board and s.due is not None and timeline.stage_due(s.id) == sitting.day]
    title = definition.title if definition.instances.cases else f"{definition.title} {cycle.year}"
    found = PublicMeeting(key, f"{cycle.key}.{spec.id}@strategy-cycle", title, spec.board,
                          definition.boards[spec.board].name, spec, sitting.day, sitting.cancelled,
                          sitting.sequence > 0, sitting.sequence)
    items: dict[str, PublicItem] = {}
    belongs: dict[str, set[str]] = defaultdict(set)  # item -> the meeting's stages whose business it is

    def item(item_id: str) -> PublicItem:
        return items.setdefault(item_id, PublicItem(item_id, definition.item_title(spec.board, item_id)))

    for stage in stages:
        for transition in definition.transitions_from(stage):
            for gate in transition.gates:
                if isinstance(gate, DecisionGate) and gate.board == spec.board:
                    item(gate.item)
                    belongs[gate.item].add(stage)
    # The one rule (`entitlement.private_business`): a stage whose papers are all exempt is private business.
    private_stages = {stage: _paragraphs(definition, papers, stage) for stage in stages
                      if private_business(definition, papers, stage)}
    for paper in papers:
        considered = set(considering_stages(definition, paper.paper, paper.stage)) & set(stages)
        if not considered:
            continue
        at = item(paper.paper)
        belongs[paper.paper] |= considered
        if not may_see_paper(definition, paper, None):
            reason = paragraph(paper.exempt_reason)
            if reason not in at.annex:
                at.annex.append(reason)
        else:
            at.papers.append(PublicDocument(f"{PAPER}-{paper.id}", "Report", paper.title, paper.attached_at,
                                            spec.board, key))
    for item_id, at in items.items():
        private = [r for stage in sorted(belongs[item_id] & set(private_stages)) for r in private_stages[stage]]
        if private:  # shown only as its title and the paragraphs
            at.private, at.annex, at.papers = list(dict.fromkeys(private)), [], []
    # As the public read it (no reader): a private item's resolution withheld, a case's too (it may name its
    # subject, and is read in the public sign-off record, written without) (`meeting_business.resolution_withheld`).
    register = {d["id"]: d for d in decision_register(definition, papers, decisions, None)}
    for decision in decisions:
        shown = register[decision.id]
        if decision.board != spec.board or decision.meeting_date != sitting.day or not shown["in_force"]:
            continue
        at = item(decision.item)
        if not at.private and shown["withheld"] != PRIVATE:
            at.decision = PublicDecision(decision.id, at.title, decision.outcome, shown["resolution"] or "",
                                         decision.votes_for, decision.votes_against, decision.abstentions,
                                         decision.meeting_date, decision.recorded_at)
    found.items = list(items.values())
    private_items = {i.item for i in found.items if i.private}
    found.records = [PublicDocument(f"{RECORD}-{r.id}", "Sign-off record", r.title, r.created_at, spec.board, key)
                     for r in records if r.spec in definition.documents  # a stage's sign-off, not a pack or minutes
                     and r.stage in stages and r.stage not in private_stages
                     and may_see_document(definition, r, None)
                     and not _stage_items(definition, r.stage, papers) & private_items]
    return found


def _paragraphs(definition: Definition, papers: list[Paper], stage: str) -> list[str]:
    """The Schedule 12A paragraphs of the exempt papers `stage` considers, as the public site words them."""
    return list(dict.fromkeys(paragraph(p.exempt_reason) for p in papers
                              if p.exempt and stage in considering_stages(definition, p.paper, p.stage)))


def _stage_items(definition: Definition, stage: str, papers: list[Paper]) -> set[str]:
    """The items a stage's record is about: those its decisions are on and the papers it considers.

    A record of a private item is not published here even in its "public" version, which carries the
    resolution: on a private item that is the private session's business.
    """
    decided = {g.item for t in definition.transitions_from(stage) for g in t.gates if isinstance(g, DecisionGate)}
    return decided | {p.paper for p in papers if stage in considering_stages(definition, p.paper, p.stage)}
