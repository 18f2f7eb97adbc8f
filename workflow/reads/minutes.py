"""A board meeting's minutes as a reader may see them: `minutes_of(store, board, day, viewer)`.

Drafted from the decisions recorded for the meeting (`meeting_business`): attendance by category as
the council lays it out (present, co-opted members without voting rights, observers, officers,
apologies), the interests declared, each decision as a numbered minute with what was noted and the
RESOLVED text, then the exclusion resolution naming the Schedule 12A paragraphs and the private minutes.

Members of the board read the minutes; a private minute only if entitled to its stage's exempt papers
(`entitlement.entitled_to_stage`): for anyone else it is left out, not named, and counted in `withheld`.
Nobody else reads them (RoleMissing). The narrative of each minute is the latest saved version's
(`workflow.commands.minutes`); until the draft is made the numbers shown are the ones it would give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.commands.meeting_business import Business, Meeting, attendees_of, gather, meeting_days
from workflow.commands.minute_parts import (
    Minute,
    approval_of,
    build,
    labels,
    last_number,
    latest_version,
    may_edit,
    named,
    numbers_of,
)
from workflow.definition.directory import find_person
from workflow.definition.entitlement import entitled_to_stage
from workflow.definition.model import Membership
from workflow.errors import RoleMissing
from workflow.store.models import MinutesApproval, MinutesVersion
from workflow.store.unit import Store

STATUSES = ("not drafted", "draft", "approved")


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


def reader_in(meeting: Meeting, viewer: str) -> dict[str, str]:
    """Definition id -> the viewer's id there, for the definitions in which they sit on the board; refused
    (RoleMissing) if they sit on it in none: the minutes are the board's, and its committee manager's."""
    found = {}
    for definition in meeting.definitions:
        person = find_person(definition, viewer)
        if person is not None and person.id in dict(definition.boards[meeting.board].members):
            found[definition.id] = person.id
    if not found:
        raise RoleMissing(f"the minutes of the {meeting.spec.name} are for its members; {viewer} is not one")
    return found


def entitled(business: Business, readers: dict[str, str]) -> bool:
    person = readers.get(business.definition.id)
    return person is not None and any(entitled_to_stage(business.definition, stage, person)
                                      for stage in business.private_stages)


def minutes_of(store: Store, board: str, day: dt.date, viewer: str) -> Minutes:
    """The minutes of `board`'s meeting on `day` as `viewer` (a person id or email) may read them."""
    return _read(store, board, day, viewer)


def public_minutes_of(store: Store, board: str, day: dt.date) -> Minutes:
    """The minutes of `board`'s meeting on `day` as the public may read them: the open minutes and the exclusion
    resolution with its paragraphs; no private minute, not even by its title. Anyone may read these."""
    return _read(store, board, day, None)


def previous_meeting(store: Store, board: str, day: dt.date) -> dt.date | None:
    """The day of the board's last meeting before `day` that recorded a decision (None: no such meeting)."""
    with store.sessions() as session:
        days = meeting_days(session, board, day)
    return days[-1] if days else None


def _read(store: Store, board: str, day: dt.date, viewer: str | None) -> Minutes:
    with store.sessions() as session:
        meeting = gather(store, session, board, day)
        readers = reader_in(meeting, viewer) if viewer is not None else {}
        numbers = numbers_of(session, board, day)
        version = latest_version(session, board, day)
        approval = approval_of(session, board, day)
        after = last_number(session, board)
        if any(key not in numbers for key in meeting.keys):  # the draft numbers earlier meetings without any first
            after += sum(len(gather(store, session, board, earlier).keys)
                         for earlier in meeting_days(session, board, day) if not numbers_of(session, board, earlier))
    return compose(meeting, labels(meeting, numbers, after), (version.content if version else {}).get(
        "narratives", {}), readers, version=version, approval=approval,
        provisional=any(key not in numbers for key in meeting.keys),
        editable=viewer is not None and approval is None and may_edit(meeting, viewer))


def compose(meeting: Meeting, label: dict[str, str], narratives: dict[str, str], readers: dict[str, str], *,
            version: MinutesVersion | None = None, approval: MinutesApproval | None = None,
            provisional: bool = False, editable: bool = False) -> Minutes:
    """The minutes from the meeting's business, their numbers and narratives, for the readers given."""
    name = meeting.spec.name
    shown = [b for b in meeting.business if not b.private or entitled(b, readers)]
    by_key = {b.key: b for b in shown}
    minutes = []
    for key in meeting.keys:
        if key.startswith("decision:") and key not in by_key:
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
        board=meeting.board, board_name=name, day=meeting.day,
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
    groups: dict[str, list[tuple[int, str]]] = {k: [] for k in ("present", "co_opted", "observers", "officers",
                                                                "apologies")}
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


