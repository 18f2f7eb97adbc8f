"""Build a board meeting's agenda (`agenda_values`; read through `workflow.reads.agenda`): the items gathered (`agenda_items`) with the
committee manager's changes (`agenda_changes` rows, in order) applied, numbered, and cut to what the reader may see.

The changes: an item added goes before the date of the next meeting (or last in the private part when exempt);
a move puts an item at a position among the items of its part; a withdrawal takes it off. The exclusion item is
never moved or withdrawn: it is added last in the public part whenever there is a private part.

Issue: an issue row records the version (1 for the first, then one more each time) and a digest of the
agenda as issued. The agenda is changed since issue when the agenda built now has another digest: the committee
manager changed it after issue, or its business changed (a paper attached, a meeting moved, a cycle started).
Only then may it be issued again, as the next version.

`present` cuts it to what a reader may see: private items only for those entitled to their exempt papers
(`workflow.definition.entitlement`), none for the public; whether it changed since issue, and which cycles have
business at it, are answered over what the reader sees (an issue keeps who could see each private item), so
nothing tells a reader that hidden business exists or changed. Who may read it at all is `workflow.reads.agenda`'s rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.calendar import add_working_days
from workflow.definition.entitlement import PRIVATE_SESSION
from workflow.definition.model import Board, Definition, Membership
from workflow.store.models import AgendaChange, Paper
from workflow.store.unit import Store

from .agenda_items import (
    Drafted,
    business,
    closing,
    entitlement_person,
    everyone,
    exclusion,
    opening,
)
from .agenda_values import Agenda, AgendaIssue, AgendaItem, AgendaMember, AgendaMembership
from .board_meeting import BoardMeeting, find_meeting

EVERYONE = "*"
"""The reader who sees every item: the committee manager's own commands and the pack's private part."""


@dataclass(frozen=True)
class Built:
    """The whole agenda with who may see each private item, and the rows it was built from."""

    meeting: BoardMeeting
    public: tuple[Drafted, ...]
    private: tuple[Drafted, ...]
    issues: tuple[AgendaChange, ...]
    seq: int  # the last change's number (0: none)
    digest: str

    @property
    def issued(self) -> AgendaIssue | None:
        if not self.issues:
            return None
        last = self.issues[-1]
        return AgendaIssue(int(last.data["version"]), last.at, last.actor)

    @property
    def changed_since_issue(self) -> bool:
        return bool(self.issues) and self.issues[-1].data.get("digest") != self.digest

    def shown_private(self, reader: str | None) -> tuple[Drafted, ...]:
        """The private items `reader` (an email; EVERYONE; None: the public) may see."""
        return tuple(d for d in self.private if reader == EVERYONE or (reader is not None and d.entitled(reader)))

    def seen(self) -> dict[str, Any]:
        """What the agenda is now, item by item, with who may see each private item (person ids): kept with an
        issue, so that whether it changed since can be answered over what each reader sees (`changed_for`)."""
        people = self.meeting.home.people.values()
        return {"items": [[d.item.key, _shape_digest(d.item)] for d in (*self.public, *self.private)],
                "private": {d.item.key: sorted(p.id for p in people if p.email and d.entitled(p.email))
                            for d in self.private}}

    def changed_for(self, reader: str | None) -> bool:
        """Has what `reader` may see changed since the last issue? Business hidden from them does not count."""
        if reader == EVERYONE or not self.issues:
            return self.changed_since_issue
        seen = self.issues[-1].data.get("seen")
        if not isinstance(seen, dict):  # issued before issues kept what each reader saw
            return self.changed_since_issue
        person = entitlement_person(self.meeting.home, reader)
        private = seen.get("private", {})
        then = [[key, shape] for key, shape in seen.get("items", [])
                if key not in private or (person is not None and person in private[key])]
        now = [[d.item.key, _shape_digest(d.item)] for d in (*self.public, *self.shown_private(reader))]
        return now != then

    def cycles_for(self, reader: str | None) -> tuple[int, ...]:
        """The cycles with business at the meeting, less those whose only business is hidden from `reader`."""
        shown = {d.item.cycle_id for d in (*self.public, *self.shown_private(reader))}
        hidden = {d.item.cycle_id for d in self.private} - shown
        return tuple(at.cycle.id for at in self.meeting.cycles if at.cycle.id not in hidden)


def issue_by(day: dt.date, notice: int) -> dt.date:
    """The last day to issue the agenda: `notice` clear working days before `day`, neither the day of issue nor the
    meeting's own counted (5 before Wednesday 30 June 2021: Tuesday 22 June)."""
    return add_working_days(day, -(notice + 1))


def build(session: Session, store: Store, board: str, day: dt.date) -> Built:
    """The meeting's agenda with every change applied (NotFound if the board has no meeting that day)."""
    meeting = find_meeting(session, store, board, day)
    ids = [at.cycle.id for at in meeting.cycles]
    papers: dict[int, list[Paper]] = {}
    for paper in session.scalars(select(Paper).where(Paper.cycle_id.in_(ids)).order_by(Paper.id)):
        papers.setdefault(paper.cycle_id, []).append(paper)
    gathered = business(meeting, papers)
    public = opening(meeting) + [d for d in gathered if not d.item.exempt] + closing(meeting)
    private = [d for d in gathered if d.item.exempt]
    rows = list(session.scalars(select(AgendaChange).where(AgendaChange.board == board, AgendaChange.day == day)
                                .order_by(AgendaChange.seq)))
    home_board = meeting.home.boards[board]
    for row in rows:
        _apply(row, public, private, meeting.home, home_board)
    if private:
        paragraphs = tuple(sorted({d.item.exempt_paragraph for d in private if d.item.exempt_paragraph}))
        public.append(Drafted(exclusion(paragraphs, home_board.name), everyone))
    numbered = [replace(d, item=replace(d.item, number=n)) for n, d in enumerate([*public, *private], start=1)]
    digest = _digest([d.item for d in numbered])
    return Built(meeting, tuple(numbered[:len(public)]), tuple(numbered[len(public):]),
                 tuple(r for r in rows if r.kind == "issue"), rows[-1].seq if rows else 0, digest)


def _apply(row: AgendaChange, public: list[Drafted], private: list[Drafted], home: Definition, board: Board) -> None:
    data = row.data
    if row.kind == "add":
        paragraph = data.get("exempt_paragraph")
        item = AgendaItem(0, row.item or f"added:{row.seq}", data["title"], data.get("purpose", ""),
                          data.get("author_name", ""), data.get("author_title", ""), exempt_paragraph=paragraph,
                          description=data.get("description", ""))
        if paragraph is not None:
            private.append(Drafted(item, lambda email: _private_session(home, board, email)))
        else:
            at = next((n for n, d in enumerate(public) if d.item.key == "std:next_meeting"), len(public))
            public.insert(at, Drafted(item, everyone))
        return
    part = next((p for p in (public, private) if any(d.item.key == row.item for d in p)), None)
    if part is None:
        return  # an item gone from the business since (its cycle moved on): the change no longer applies
    found = next(d for d in part if d.item.key == row.item)
    part.remove(found)
    if row.kind == "move":
        part.insert(max(0, min(int(data["to"]) - 1, len(part))), found)


def _private_session(home: Definition, board: Board, email: str | None) -> bool:
    person = entitlement_person(home, email)
    return person is not None and any(m == person and kind in PRIVATE_SESSION for m, kind in board.members)


def _shape(item: AgendaItem) -> list[Any]:
    return [item.key, item.title, item.purpose, item.description, [p.id for p in item.papers], item.exempt_paragraph]


def _shape_digest(item: AgendaItem) -> str:
    return hashlib.sha256(json.dumps(_shape(item)).encode()).hexdigest()


def _digest(items: list[AgendaItem]) -> str:
    return hashlib.sha256(json.dumps([_shape(i) for i in items]).encode()).hexdigest()


def _members(definition: Definition, board: Board) -> AgendaMembership:
    def who(person: str) -> AgendaMember:
        found = definition.people[person]
        return AgendaMember(found.name or found.title, found.title)

    def of(*kinds: Membership) -> tuple[AgendaMember, ...]:
        return tuple(who(p) for p in board.with_membership(*kinds))

    chair = board.chair
    return AgendaMembership(of(Membership.VOTING), who(chair) if chair else None,
                            chair in board.with_membership(Membership.VOTING_CHAIR), of(Membership.ADVISOR),
                            of(Membership.OBSERVER), of(Membership.OFFICER))


def present(built: Built, reader: str | None) -> Agenda:
    """The agenda as `reader` (an email; EVERYONE; None: the public) may see it."""
    meeting = built.meeting
    board = meeting.home.boards[meeting.board]
    manager = meeting.home.people.get(board.organiser or "")
    private = tuple(d.item for d in built.shown_private(reader))
    paragraphs = tuple(sorted({d.item.exempt_paragraph for d in built.private if d.item.exempt_paragraph}))
    return Agenda(
        board_id=board.id, board_name=board.name, day=meeting.day, start=meeting.meeting.start,
        venue=meeting.meeting.venue, remote_link=meeting.meeting.remote_link, title=meeting.meeting.title,
        membership=_members(meeting.home, board), manager_name=(manager.name or manager.title) if manager else "",
        manager_email=manager.email if manager else "", public_items=tuple(d.item for d in built.public),
        private_items=private, exempt_paragraphs=paragraphs, next_meeting=meeting.next, issued=built.issued,
        issue_by=issue_by(meeting.day, board.agenda.notice), notice_days=board.agenda.notice,
        changed_since_issue=built.changed_for(reader), cycle_ids=built.cycles_for(reader))
