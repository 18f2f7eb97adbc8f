"""A board meeting's minutes as a reader may see them: `minutes_of(store, board, day, viewer)`.

Drafted from the decisions recorded for the meeting (`meeting_business`): attendance by category as
the council lays it out (present, co-opted members without voting rights, observers, officers,
apologies), the interests declared, each decision as a numbered minute with what was noted and the
RESOLVED text, then the exclusion resolution naming the Schedule 12A paragraphs and the private minutes.

Members of the board read the minutes; a private minute only if entitled to its stage's exempt papers
(`entitlement.entitled_to_stage`): for anyone else it is left out, not named, and counted in `withheld`.
Nobody else reads them (RoleMissing). The narrative of each minute is the latest saved version's
(`workflow.commands.minutes`); until the draft is made the numbers shown are the ones it would give. Approved
minutes are read only from the complete copy the approved version saved (`minutes_composed.from_copy`): a
decision recorded for the meeting afterwards cannot change them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from workflow.commands.meeting_business import Meeting, gather, meeting_days
from workflow.commands.minute_parts import (
    approval_of,
    labels,
    last_number,
    latest_version,
    may_edit,
    numbers_of,
)
from workflow.commands.minutes_composed import STATUSES, Minutes, compose, entitled, from_copy
from workflow.definition.directory import find_person
from workflow.errors import RoleMissing
from workflow.store.models import MinutesVersion
from workflow.store.unit import Store

__all__ = ["STATUSES", "Minutes", "entitled", "minutes_of", "reader_in"]


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
        approval = approval_of(session, board, day)
        if approval is not None:
            signed = session.scalars(select(MinutesVersion).where(
                MinutesVersion.board == board, MinutesVersion.meeting_date == day,
                MinutesVersion.version == approval.version)).one()
            if "public" in signed.content:
                return from_copy(meeting, signed.content, readers, signed, approval)
        numbers = numbers_of(session, board, day)
        version = latest_version(session, board, day)
        after = last_number(session, board)
        if any(key not in numbers for key in meeting.keys):  # the draft numbers earlier meetings without any first
            after += sum(len(gather(store, session, board, earlier).keys)
                         for earlier in meeting_days(session, board, day) if not numbers_of(session, board, earlier))
    return compose(meeting, labels(meeting, numbers, after), (version.content if version else {}).get(
        "narratives", {}), readers, version=version, approval=approval,
        provisional=any(key not in numbers for key in meeting.keys),
        editable=viewer is not None and approval is None and may_edit(meeting, viewer))
