"""A meeting's minutes put together, and the complete copy each saved version keeps of them.

`compose` builds the minutes from the meeting's business, the numbers given and the narratives written, for
the readers given (None: every minute, as the saved copy keeps them). `saved_copy` is what a version stores
(every minute's number, title, narrative, resolution, vote, privacy and Schedule 12A paragraphs, the attendance
and the interests declared) and `from_copy` reads it back for one reader: approved minutes are shown only from
the approved version's copy, so business recorded or amended later never changes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from workflow.definition.entitlement import entitled_to_stage
from workflow.definition.model import Membership
from workflow.store.models import MinutesApproval, MinutesVersion

from .meeting_business import Business, Meeting, attendees_of
from .minute_parts import Minute, build, named

STATUSES = ("not drafted", "draft", "approved")
GROUPS = ("present", "co_opted", "observers", "officers", "apologies")


@dataclass(frozen=True)
class Minutes:
    """A meeting's minutes for one reader."""

    board: str
    board_name: str
    day: dt.date
    status: str  # one of STATUSES
    version: int  # 0 until drafted
    sha256: str
    present: tuple[str, ...]  # voting members and the chair, the chair first and marked
    co_opted: tuple[str, ...]  # advisors: co-opted members without voting rights
    observers: tuple[str, ...]
    officers: tuple[str, ...]
    apologies: tuple[str, ...]
    public: tuple[Minute, ...]
    exclusion: Minute | None
    private: tuple[Minute, ...]
    withheld: int  # private minutes left out for this reader
    approved_on: dt.date | None = None
    signed_by: str = ""
    provisional: bool = False  # numbers not yet given: the draft has not been made
    editable: bool = False  # the reader may edit them: the committee manager, until they are approved

    @property
    def heading(self) -> str:
        day = self.day
        return (f"Minutes of the meeting of the {self.board_name.upper()} held on {day:%A} {day.day} {day:%B} "
                f"{day.year}".replace(f"{day:%A}", f"{day:%A}".upper()).replace(f"{day:%B}", f"{day:%B}".upper()))

    @property
    def minutes(self) -> tuple[Minute, ...]:
        return (*self.public, *((self.exclusion,) if self.exclusion else ()), *self.private)


def entitled(business: Business, readers: dict[str, str]) -> bool:
    person = readers.get(business.definition.id)
    return person is not None and any(entitled_to_stage(business.definition, stage, person)
                                      for stage in business.private_stages)


def compose(meeting: Meeting, label: dict[str, str], narratives: dict[str, str], readers: dict[str, str] | None, *,
            version: MinutesVersion | None = None, approval: MinutesApproval | None = None,
            provisional: bool = False, editable: bool = False) -> Minutes:
    """The minutes from the meeting's business, their numbers and narratives, for the readers given."""
    shown = [b for b in meeting.business if not b.private or readers is None or entitled(b, readers)]
    by_key = {b.key: b for b in shown}
    minutes = []
    for key in meeting.keys:
        if key.startswith(("decision:", "exempt:")) and key not in by_key:
            continue
        minute = build(meeting, key, by_key.get(key), label[key])
        text = narratives.get(key, minute.narrative)
        minutes.append(Minute(**{**minute.__dict__, "narrative": text}))
    cut = next((i for i, m in enumerate(minutes) if m.key == "exclusion"), len(minutes))
    # Each part in the order of its numbers: business minuted after the draft (a correction recorded later, the
    # previous minutes approved later) takes the next number and is listed after what was numbered before it.
    def number(m: Minute) -> int:
        return int(m.number[len(meeting.prefix):] or 0)
    minutes = [*sorted(minutes[:cut], key=number), *minutes[cut:cut + 1], *sorted(minutes[cut + 1:], key=number)]
    groups = attendance(meeting)
    return Minutes(
        board=meeting.board, board_name=meeting.spec.name, day=meeting.day,
        status="approved" if approval else "draft" if version else "not drafted",
        version=version.version if version else 0, sha256=version.sha256 if version else "",
        present=groups["present"], co_opted=groups["co_opted"], observers=groups["observers"],
        officers=groups["officers"], apologies=groups["apologies"], public=tuple(minutes[:cut]),
        exclusion=minutes[cut] if cut < len(minutes) else None, private=tuple(minutes[cut + 1:]),
        withheld=len(meeting.business) - len(shown), approved_on=approval.approved_on if approval else None,
        signed_by=approval.chair if approval else "", provisional=provisional, editable=editable)


def attendance(meeting: Meeting) -> dict[str, tuple[str, ...]]:
    """The meeting's attendance by the seed's categories, in the board's order of members."""
    found = attendees_of(meeting)
    order = {person: i for i, (person, _) in enumerate(meeting.spec.members)}
    groups: dict[str, list[tuple[int, str]]] = {k: [] for k in GROUPS}
    for person, (definition, membership, presence) in found.items():
        who = definition.people.get(person)
        text = named(who) if who else person
        if presence == "apologies":
            group = "apologies"
        elif membership in (Membership.CHAIR, Membership.VOTING_CHAIR):
            group, text = "present", f"{text} (Chair)"
        else:
            group = {Membership.ADVISOR: "co_opted", Membership.OBSERVER: "observers",
                     Membership.OFFICER: "officers"}.get(Membership(membership), "present")
        chair_first = -1 if text.endswith("(Chair)") else order.get(person, len(order))
        groups[group].append((chair_first, text))
    return {k: tuple(text for _, text in sorted(v)) for k, v in groups.items()}


def saved_copy(meeting: Meeting, composed: Minutes, narratives: dict[str, str]) -> dict[str, Any]:
    """A version's content: the complete minutes as composed for every reader, and who may read each private one
    (the definition and stages whose exempt papers it considered)."""
    business = {b.key: b for b in meeting.business}

    def minute(m: Minute) -> dict[str, Any]:
        b = business.get(m.key)
        return {"key": m.key, "number": m.number, "title": m.title, "narrative": m.narrative, "lead": m.lead,
                "resolved": list(m.resolved), "vote": m.vote, "interests": list(m.interests), "private": m.private,
                "cycle": m.cycle, "paragraphs": list(b.paragraphs) if b and b.private else [],
                "definition": b.definition.id if b and b.private else "",
                "stages": list(b.private_stages) if b else []}

    return {"board": meeting.board, "meeting_date": meeting.day.isoformat(), "board_name": meeting.spec.name,
            "attendance": {g: list(getattr(composed, g)) for g in GROUPS},
            "public": [minute(m) for m in composed.public],
            "exclusion": minute(composed.exclusion) if composed.exclusion else None,
            "private": [minute(m) for m in composed.private], "narratives": narratives}


def from_copy(meeting: Meeting, content: dict[str, Any], readers: dict[str, str], version: MinutesVersion,
              approval: MinutesApproval | None) -> Minutes:
    """The minutes as a version saved them, for the readers given: a private minute only if they are entitled
    to the exempt papers of a stage it considered, as the definition their cycle runs on says today."""
    definitions = {d.id: d for d in meeting.definitions}

    def minute(row: dict[str, Any]) -> Minute:
        return Minute(row["key"], row["number"], row["title"], row["narrative"], row["lead"],
                      tuple(row["resolved"]), row["vote"], tuple(row["interests"]), row["private"], row["cycle"])

    def may_read(row: dict[str, Any]) -> bool:
        definition, person = definitions.get(row["definition"]), readers.get(row["definition"])
        return definition is not None and person is not None and any(
            entitled_to_stage(definition, stage, person) for stage in row["stages"])

    private = [minute(row) for row in content["private"] if may_read(row)]
    groups = content["attendance"]
    return Minutes(
        board=content["board"], board_name=content["board_name"], day=meeting.day,
        status="approved" if approval else "draft", version=version.version, sha256=version.sha256,
        present=tuple(groups["present"]), co_opted=tuple(groups["co_opted"]), observers=tuple(groups["observers"]),
        officers=tuple(groups["officers"]), apologies=tuple(groups["apologies"]),
        public=tuple(minute(row) for row in content["public"]),
        exclusion=minute(content["exclusion"]) if content["exclusion"] else None, private=tuple(private),
        withheld=len(content["private"]) - len(private), approved_on=approval.approved_on if approval else None,
        signed_by=approval.chair if approval else "")
