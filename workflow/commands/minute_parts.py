"""The parts of a meeting's minutes that drafting and reading share: each minute as drafted from the business,
the numbers given, the versions saved and the approval (`workflow.reads.minutes` puts them together).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.commands.attach import SCHEDULE_12A
from workflow.definition.directory import find_person
from workflow.definition.entitlement import entitled_to_stage
from workflow.definition.formatting import written_date
from workflow.definition.model import Definition, Person
from workflow.errors import RoleMissing, UnknownActor
from workflow.store.models import MinuteNumber, MinutesApproval, MinutesVersion

from .meeting_business import Business, Meeting
from .meetings import manages_board


@dataclass(frozen=True)
class Minute:
    """One numbered minute: its heading, what was noted, and what was resolved."""

    key: str
    number: str  # 'SMK12'
    title: str
    narrative: str
    lead: str  # 'RESOLVED -', 'The motion was lost -', ... ('' when nothing was resolved)
    resolved: tuple[str, ...]
    vote: str  # 'Carried: 5 for, 1 against, 0 abstentions' ('' when no vote was taken)
    interests: tuple[str, ...] = ()
    private: bool = False
    cycle: str = ""


def named(person: Person) -> str:
    """'Sam Okafor (Chief Executive)', or the title alone, as the seed's minutes list people."""
    return f"{person.name} ({person.title})" if person.name else person.title


def numbers_of(session: Session, board: str, day: dt.date) -> dict[str, int]:
    """The numbers given to the meeting's minutes, by key."""
    rows = session.execute(select(MinuteNumber.minute, MinuteNumber.number)
                           .where(MinuteNumber.board == board, MinuteNumber.meeting_date == day))
    return {minute: number for minute, number in rows}


def last_number(session: Session, board: str) -> int:
    return session.scalar(select(func.max(MinuteNumber.number)).where(MinuteNumber.board == board)) or 0


def latest_version(session: Session, board: str, day: dt.date) -> MinutesVersion | None:
    return session.scalars(select(MinutesVersion).where(MinutesVersion.board == board,
                                                        MinutesVersion.meeting_date == day)
                           .order_by(MinutesVersion.version.desc()).limit(1)).one_or_none()


def approval_of(session: Session, board: str, day: dt.date) -> MinutesApproval | None:
    return session.scalars(select(MinutesApproval).where(MinutesApproval.board == board,
                                                         MinutesApproval.meeting_date == day)).one_or_none()


def labels(meeting: Meeting, numbers: dict[str, int], after: int) -> dict[str, str]:
    """Key -> 'SMK12': the numbers given, and those the next draft would give to keys without one."""
    found, following = {}, after
    for key in meeting.keys:
        if key in numbers:
            found[key] = f"{meeting.prefix}{numbers[key]}"
        else:
            following += 1
            found[key] = f"{meeting.prefix}{following}"
    return found


def build(meeting: Meeting, key: str, business: Business | None, number: str) -> Minute:
    """A minute as drafted, before any narrative is written for it."""
    name = meeting.spec.name
    if key == "minutes":
        earlier = " and ".join(written_date(a.meeting_date) for a in meeting.approved_here)
        return Minute(key, number, "MINUTES", "", "RESOLVED -",
                      (f"That the Minutes of the {name} held on {earlier} be approved and signed by the Chair as "
                       "a correct record.",), "")
    if key == "interests":
        declared = tuple(f"{declarer(b.definition, a.person)} declared an interest in {b.title}: {a.interest}"
                         for b in meeting.business if not b.private for a in b.decision.attendees if a.interest)
        return Minute(key, number, "DISCLOSURES OF INTEREST", "" if declared else "None disclosed.", "", (), "",
                      declared)
    if key == "exclusion":
        private = [b for b in meeting.business if b.private]
        paragraphs = sorted({p for b in private for p in b.paragraphs}) or [1]
        which = " and ".join(str(p) for p in paragraphs)
        why = "; ".join(SCHEDULE_12A[p] for p in paragraphs)
        items = " and ".join(dict.fromkeys(b.title for b in private))
        return Minute(key, number, "EXCLUSION OF PUBLIC AND PRESS", "", "RESOLVED -", (
            f"That the public and press be excluded from the meeting by virtue of Paragraph"
            f"{'s' if len(paragraphs) > 1 else ''} {which} ({why}) of Part 1 of Schedule 12A of the Local "
            f"Government Act 1972, in order that the {name} may consider {items}.",), "")
    assert business is not None
    if business.annex:
        return Minute(key, number, business.title.upper(), f"The {name} considered {business.title}.", "", (), "",
                      (), True, business.cycle)
    d = business.decision
    lead = {"carried": "RESOLVED -", "lost": "The motion was lost -", "deferred": "Deferred -",
            "rescinded": "RESOLVED -"}.get(d.outcome, "RESOLVED -")
    counted = d.votes_for + d.votes_against + d.abstentions
    vote = (f"{d.outcome.capitalize()}: {d.votes_for} for, {d.votes_against} against, {d.abstentions} "
            f"abstention{'s' if d.abstentions != 1 else ''}") if counted else ""
    interests = tuple(f"{declarer(business.definition, a.person)} declared an interest: {a.interest}"
                      for a in d.attendees if a.interest) if business.private else ()
    return Minute(key, number, business.title.upper(), f"The {name} considered {business.title}.", lead,
                  tuple(line.strip() for line in d.resolution.splitlines() if line.strip()), vote, interests,
                  business.private, business.cycle)


def declarer(definition: Definition, person: str) -> str:
    who = definition.people.get(person)
    return named(who) if who else person


def require_clerk(meeting: Meeting, actor: str, doing: str) -> str:
    """The actor's id, once they keep the board's minutes in a definition of the meeting: its committee manager
    (`meetings.manages_board`). A role held for another board, or for the definition at large, is not enough: the
    minutes are the board's own."""
    known = False
    for definition in meeting.definitions:
        person = find_person(definition, actor)
        if person is None:
            continue
        known = True
        if manages_board(definition, meeting.board, person.id):
            return person.id
    if not known:
        raise UnknownActor(f"'{actor}' is not in the directory of the {meeting.spec.name}'s definitions; give "
                           "--as the committee manager")
    raise RoleMissing(f"{actor} cannot {doing} the minutes of the {meeting.spec.name}: that is for its committee "
                      "manager, the board's organiser or an officer of the board who records its decisions")


def refuse_unreadable(meeting: Meeting, actor: str, keys: Iterable[str], doing: str) -> None:
    """Refuse (RoleMissing) a clerk who may not read one of these minutes: a private minute is edited or approved
    only by someone entitled to the exempt papers it considered (`entitlement.entitled_to_stage`)."""
    wanted = set(keys)
    for business in meeting.business:
        if business.key not in wanted or not business.private:
            continue
        person = find_person(business.definition, actor)
        if person is None or not any(entitled_to_stage(business.definition, stage, person.id)
                                     for stage in business.private_stages):
            raise RoleMissing(f"{actor} cannot {doing} the minutes of the {meeting.spec.name}: a private minute "
                              "among them is exempt information they are not entitled to read")


def may_edit(meeting: Meeting, person: str) -> bool:
    """Does `person` hold the role that edits the meeting's minutes (`require_clerk`)?"""
    try:
        require_clerk(meeting, person, "edit")
    except (RoleMissing, UnknownActor):
        return False
    return True
