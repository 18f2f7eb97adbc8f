"""The record-a-decision form as data: the board's register read from the posted fields, and the engine's arguments.

The form posts one set of radios per member (`attendance-<id>`, `vote-<id>`), an interest per
member, the priorities agreed (one a line, when the item takes them), the resolution and the
meeting date as day, month and year. The same fields travel hidden through the preview, so
"Change" and "Save" both start from what was typed. Nobody's attendance is assumed: two buttons
fill in what is not yet chosen ("all voting members present", "all present voted for").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.commands.decision_rules import (
    attendance,
    outcome_of,
    priority_of,
    quorum_for,
    takes_priorities,
)
from workflow.definition.model import Definition, Membership
from workflow.errors import InvalidInput

from .words import person_title

ATTENDANCE = (("present", "Present"), ("apologies", "Apologies"), ("absent", "Absent"))
VOTES = (("for", "For"), ("against", "Against"), ("abstain", "Abstain"))
VOTING = (Membership.VOTING, Membership.VOTING_CHAIR)
CHAIRS = (Membership.VOTING_CHAIR, Membership.CHAIR)
KIND_WORDS = {Membership.VOTING: "Voting member", Membership.VOTING_CHAIR: "Chair (voting)",
              Membership.CHAIR: "Chair (not voting)", Membership.ADVISOR: "Advisor (not voting)",
              Membership.OBSERVER: "Observer (not voting)", Membership.OFFICER: "Officer (not voting)"}


@dataclass(frozen=True)
class Member:
    id: str
    title: str
    kind: Membership

    @property
    def voting(self) -> bool:
        return self.kind in VOTING

    @property
    def role(self) -> str:
        return KIND_WORDS[self.kind]


@dataclass
class Entry:
    """What was typed, as strings; `fields` are the raw pairs the preview carries hidden."""

    board: str
    item: str
    attendance: dict[str, str] = field(default_factory=dict)
    vote: dict[str, str] = field(default_factory=dict)
    interest: dict[str, str] = field(default_factory=dict)
    resolution: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    amends: str = ""
    reason: str = ""
    priorities: str = ""  # one a line, as 'priority: recommendation'
    defer: str = ""  # "yes": the board deferred the item, whatever the votes

    @property
    def deferred(self) -> bool:
        return self.defer == "yes"

    def fields(self) -> list[tuple[str, str]]:
        pairs = [("board", self.board), ("item", self.item), ("resolution", self.resolution),
                 ("priorities", self.priorities),
                 ("meeting-date-day", self.day), ("meeting-date-month", self.month),
                 ("meeting-date-year", self.year), ("amends", self.amends), ("reason", self.reason),
                 ("defer", self.defer)]
        for name, values in (("attendance", self.attendance), ("vote", self.vote), ("interest", self.interest)):
            pairs += [(f"{name}-{person}", value) for person, value in values.items() if value]
        return pairs


def members(definition: Definition, board: str) -> list[Member]:
    spec = definition.boards[board]
    return [Member(person, person_title(definition, person), kind) for person, kind in spec.members]


def blank(board: str, item: str, day: dt.date | None, amends: str = "") -> Entry:
    return Entry(board, item, day=str(day.day) if day else "", month=str(day.month) if day else "",
                 year=str(day.year) if day else "", amends=amends)


def read(form: Mapping[str, Any], board_members: list[Member]) -> Entry:
    def text(name: str, limit: int = 4000) -> str:
        return str(form.get(name) or "").strip()[:limit]

    entry = Entry(text("board", 100), text("item", 100), resolution=text("resolution"),
                  day=text("meeting-date-day", 4), month=text("meeting-date-month", 4),
                  year=text("meeting-date-year", 6), amends=text("amends", 12), reason=text("reason", 2000),
                  priorities=text("priorities", 8000), defer="yes" if text("defer", 10) == "yes" else "")
    for member in board_members:
        entry.attendance[member.id] = text(f"attendance-{member.id}", 20)
        entry.vote[member.id] = text(f"vote-{member.id}", 20) if member.voting else ""
        entry.interest[member.id] = text(f"interest-{member.id}", 1000)
    return entry


def fill_in(entry: Entry, board_members: list[Member], action: str) -> None:
    """The form's two shortcuts, applied only to what is not yet chosen: "all-present" marks every voting member
    present, "all-for" records every voting member present as voting for. Non-voting members are never touched."""
    for member in board_members:
        if not member.voting:
            continue
        if action == "all-present" and not entry.attendance.get(member.id):
            entry.attendance[member.id] = "present"
        if action == "all-for" and entry.attendance.get(member.id) == "present" and not entry.vote.get(member.id):
            entry.vote[member.id] = "for"


def agreed_priorities(entry: Entry) -> tuple[list[tuple[str, str]], str | None]:
    """The priorities typed, one a line, read by the CLI's rule; every line that breaks it, in one sentence."""
    found: list[tuple[str, str]] = []
    wrong: list[str] = []
    for number, line in enumerate(entry.priorities.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(priority_of(line))
        except InvalidInput as exc:
            wrong.append(f"line {number}: {exc}")
    return found, "; ".join(wrong) or None


def meeting_date(entry: Entry) -> dt.date:
    try:
        return dt.date(int(entry.year), int(entry.month), int(entry.day))
    except ValueError:
        raise InvalidInput("the meeting date must be a real date, like 19 8 2021") from None


@dataclass(frozen=True)
class Register:
    """The engine's arguments for `decide`, and what the preview shows."""

    kwargs: dict[str, Any]
    outcome: str
    quorum: int
    counts: dict[str, int]
    day: dt.date
    priorities: list[tuple[str, str]]


def register(definition: Definition, entry: Entry, board_members: list[Member]) -> tuple[Register, dict[str, str]]:
    """The engine's arguments from the form, or the sentences to show beside each field that is wrong.

    Checked by the engine's own rules (`attendance`, `outcome_of`), so the preview shows what saving would.
    """
    errors: dict[str, str] = {}
    groups: dict[str, list[str]] = {"for": [], "against": [], "abstain": [], "present": [], "apologies": []}
    for member in board_members:
        came = entry.attendance.get(member.id, "")
        vote = entry.vote.get(member.id, "")
        if came not in ("present", "apologies", "absent"):
            errors[f"attendance-{member.id}"] = f"say whether {member.title} was present, sent apologies or was absent"
        elif came == "present":
            groups[vote if member.voting and vote in ("for", "against", "abstain") else "present"].append(member.id)
            if member.voting and vote and vote not in ("for", "against", "abstain"):
                errors[f"vote-{member.id}"] = "a vote is for, against or abstain"
        elif came == "apologies":
            groups["apologies"].append(member.id)
        if came != "present" and vote:
            errors[f"vote-{member.id}"] = f"{member.title} can vote only if present"
    interests = {person: text for person, text in entry.interest.items() if text}
    try:
        day = meeting_date(entry)
    except InvalidInput as exc:
        errors["meeting-date"] = str(exc)
        day = dt.date.min
    spec = definition.boards[entry.board]
    try:
        attendance(spec.name, dict(spec.members), groups["for"], groups["against"], groups["abstain"],
                   groups["apologies"], groups["present"], interests)
    except InvalidInput as exc:
        errors.setdefault("register", str(exc))
    for person in interests:
        if entry.attendance.get(person) != "present":
            errors[f"interest-{person}"] = "only a member present can declare an interest"
    priorities: list[tuple[str, str]] = []
    if takes_priorities(definition, entry.board, entry.item):
        priorities, wrong = agreed_priorities(entry)
        if wrong:
            errors["priorities"] = wrong
    if not entry.resolution:
        errors["resolution"] = "enter the resolution as the minutes will record it"
    amends = int(entry.amends) if entry.amends.isdigit() else None
    if amends is not None and not entry.reason:
        errors["reason"] = f"say why decision {amends} is amended"
    quorum = quorum_for(definition, entry.board, entry.item)
    counts = {vote: len(groups[vote]) for vote in ("for", "against", "abstain")}
    kwargs = {"votes_for": groups["for"], "votes_against": groups["against"], "abstain": groups["abstain"],
              "present": groups["present"], "apologies": groups["apologies"], "interests": interests,
              "resolution": entry.resolution, "meeting_date": day, "amends": amends,
              "reason": entry.reason or None, "priorities": priorities, "defer": entry.deferred}
    outcome = outcome_of(counts["for"], counts["against"], counts["abstain"], quorum, defer=entry.deferred)
    order = ["meeting-date", "register", *(f"{kind}-{m.id}" for m in board_members for kind in ("attendance", "vote")),
             *(f"interest-{m.id}" for m in board_members), "priorities", "resolution", "reason"]
    in_page_order = {name: errors[name] for name in order if name in errors}  # as the error summary lists them
    return Register(kwargs, outcome, quorum, counts, day, priorities), in_page_order
