"""A board meeting's agenda, as the committee manager issues it and the pack, the page and the public site show it.

A board meeting is (board id, day): every running cycle or case whose definition has a meeting of that board on
that day (moves and cancellations applied) brings its business. The public part lists the board's opening standard
items (apologies, minutes of the last meeting, disclosure of interests), any fixed items of the definition, the
business, the date of the next meeting and, when there is exempt business, the exclusion item naming the Schedule
12A paragraph(s) (it is moved in public, so it is the public part's last item). The private part holds the exempt
items. Items are numbered 1..n over the public part then the private part, as the seed pack numbers them.

Someone not entitled to the exempt papers gets `private_items == ()` (the exclusion item and
`exempt_paragraphs` stay: they are public); an exempt item's title is the definition's words, never a paper's.

These are plain values: the builder (`agenda_build`) makes them with the committee manager's changes
(`workflow.commands.agenda`) applied. Read them through `workflow.reads.agenda`, which exports them and says who may.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Purpose = Literal["For decision", "For information", ""]
"""What the board does with an item; standard items have none ("")."""

StandardKind = Literal["apologies", "minutes", "interests", "exclusion", "next_meeting"]
"""The standard items a board's agenda may list; business items have none (None)."""

FOR_DECISION: Purpose = "For decision"
FOR_INFORMATION: Purpose = "For information"


@dataclass(frozen=True)
class AgendaMember:
    """One person on the front sheet: their name and their title (post and organisation)."""

    name: str
    title: str


@dataclass(frozen=True)
class AgendaPaper:
    """A paper of an item: its id in the paper store, title, file name and media type, and the Schedule 12A
    paragraph when it is exempt (None: it may be published)."""

    id: int
    title: str
    file_name: str
    media_type: str
    exempt_paragraph: int | None = None


@dataclass(frozen=True)
class AgendaItem:
    """One numbered item of the agenda.

    `key` is stable across rebuilds and across the committee manager's changes (a change names an item by it):
    "std:<kind>" for standard items, "fixed:<n>" for a definition's fixed extra items, "cycle:<id>:<item>" for a
    cycle's business, "added:<n>" for an item the committee manager added."""

    number: int
    key: str
    title: str
    purpose: Purpose = ""
    author_name: str = ""
    author_title: str = ""
    cycle_id: int | None = None
    reference: str | None = None  # the cycle's key or the case's reference
    papers: tuple[AgendaPaper, ...] = ()
    exempt_paragraph: int | None = None  # Schedule 12A paragraph; an exempt item sits in the private part
    standard: StandardKind | None = None  # None: business
    description: str = ""  # the line under the title, e.g. "To approve, and the Chair to sign ..."

    @property
    def exempt(self) -> bool:
        return self.exempt_paragraph is not None


@dataclass(frozen=True)
class AgendaMembership:
    """The board's membership grouped as the front sheet groups it."""

    voting: tuple[AgendaMember, ...] = ()
    chair: AgendaMember | None = None
    chair_votes: bool = False  # a voting chair; False: a non-voting chair, as Safer MK has
    advisors: tuple[AgendaMember, ...] = ()
    observers: tuple[AgendaMember, ...] = ()
    officers: tuple[AgendaMember, ...] = ()


@dataclass(frozen=True)
class AgendaIssue:
    """The agenda as last issued: its version (1, then 2 ... when re-issued after a change), when and by whom."""

    version: int
    issued_at: dt.datetime
    issued_by: str = ""


@dataclass(frozen=True)
class Agenda:
    """A board meeting's agenda: the front sheet, the public and private items, and whether it was issued."""

    board_id: str
    board_name: str
    day: dt.date
    start: dt.time | None
    venue: str
    remote_link: str
    title: str  # the meeting's title, e.g. "Safer MK Partnership (June)"
    membership: AgendaMembership
    manager_name: str = ""
    manager_email: str = ""
    public_items: tuple[AgendaItem, ...] = ()
    private_items: tuple[AgendaItem, ...] = ()
    exempt_paragraphs: tuple[int, ...] = ()  # Schedule 12A paragraphs of the private part, in order
    next_meeting: dt.date | None = None
    issued: AgendaIssue | None = None  # None: not issued yet
    issue_by: dt.date | None = None  # the notice deadline: N clear working days before the meeting
    notice_days: int = 5
    changed_since_issue: bool = False  # a change after the last issue: issuing again makes a new version
    cycle_ids: tuple[int, ...] = field(default=())  # the cycles and cases whose business is on the agenda

    @property
    def items(self) -> tuple[AgendaItem, ...]:
        return self.public_items + self.private_items

    def item(self, key: str) -> AgendaItem | None:
        return next((i for i in self.items if i.key == key), None)

    def json(self) -> dict[str, Any]:
        """The agenda as JSON-ready values: dates and times in ISO 8601 (the CLI's --json and the API)."""
        return {key: _plain(value) for key, value in asdict(self).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.time):  # a datetime is a date
        return value.isoformat()
    return value

