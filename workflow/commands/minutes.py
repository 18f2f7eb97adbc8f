"""Draft, edit and approve a board meeting's minutes: what the committee manager does after the meeting.

- `draft_minutes` gives each minute its number (continuing from the board's previous meeting, earlier meetings
  numbered first so the numbers follow the meetings' order) and saves version 1: each minute's narrative as
  drafted from the decision ("The Safer MK Partnership considered ...").
- `edit_minutes` saves a new version with the narratives given (a minute named by its number, SMK12, or key).
- `approve_minutes` records that the board's next meeting approved them and the chair signed them.

Every version is a new row holding the complete minutes as composed (`minutes_composed.saved_copy`) with
SHA-256 over that content; nothing is updated in place. Once approved, the minutes never change: they are read
from the approved version's copy, these commands refuse with a sentence, the database refuses a further version
whatever the program does (`0008c_minutes`), and `decide` refuses a decision for the meeting. Who may do this:
the board's organiser or an officer of the board holding a role that records its decisions (`meetings.COMMAND`),
and a private minute only if they may read it (`minute_parts.require_clerk`, `refuse_unreadable`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.commands.meeting_business import Meeting, gather, meeting_days
from workflow.commands.meetings import scheduled
from workflow.commands.minute_parts import (
    approval_of,
    build,
    labels,
    last_number,
    latest_version,
    named,
    numbers_of,
    refuse_unreadable,
    require_clerk,
)
from workflow.commands.minutes_composed import compose, saved_copy
from workflow.definition.formatting import written_date
from workflow.definition.loader import suggest
from workflow.errors import ConcurrentChange, InvalidInput
from workflow.store.models import Cycle, Decision, MinuteNumber, MinutesApproval, MinutesVersion
from workflow.store.unit import Store
from workflow.time.clock import local_date

NARRATIVE_MAX = 20_000


@dataclass(frozen=True)
class Saved:
    """A version of a meeting's minutes as saved."""

    board: str
    day: dt.date
    version: int
    sha256: str
    created: bool  # False when the draft existed already and nothing was written


@dataclass(frozen=True)
class Approved:
    board: str
    day: dt.date
    approved_on: dt.date
    version: int
    sha256: str
    chair: str


def content_sha256(content: dict[str, Any]) -> str:
    """SHA-256 over a version's content (`minutes_composed.saved_copy`: the meeting, every minute as composed,
    the attendance and the narratives), in a canonical JSON."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def complete(meeting: Meeting, numbers: dict[str, int], narratives: dict[str, str]) -> dict[str, Any]:
    """The content a version saves: the complete minutes, every private minute included."""
    composed = compose(meeting, labels(meeting, numbers, 0), narratives, None)
    return saved_copy(meeting, composed, narratives)


RACE = ("the minutes of this meeting were saved or approved by someone else at the same moment; nothing was "
        "written: show them and try again")


@contextmanager
def minutes_work(store: Store) -> Iterator[Session]:
    """One transaction; two saves of one meeting's minutes at once: one wins, the other is told (a unique key)."""
    try:
        with store.unit_of_work() as session:
            yield session
    except IntegrityError:
        raise ConcurrentChange(RACE) from None


def refuse_approved(session: Session, meeting: Meeting) -> None:
    approval = approval_of(session, meeting.board, meeting.day)
    if approval is not None:
        raise InvalidInput(f"the minutes of the {meeting.spec.name} of {written_date(meeting.day)} were approved on "
                           f"{written_date(approval.approved_on)} and signed by the chair; they can no longer be "
                           "changed")


def number(store: Store, session: Session, meeting: Meeting, now: dt.datetime) -> dict[str, int]:
    """Give numbers to the meeting's minutes that have none, earlier meetings of the board first."""
    for earlier in meeting_days(session, meeting.board, meeting.day):
        if not numbers_of(session, meeting.board, earlier):
            give(session, gather(store, session, meeting.board, earlier), now)
    return give(session, meeting, now)


def give(session: Session, meeting: Meeting, now: dt.datetime) -> dict[str, int]:
    numbers = numbers_of(session, meeting.board, meeting.day)
    following = last_number(session, meeting.board)
    for key in meeting.keys:
        if key not in numbers:
            following += 1
            numbers[key] = following
            session.add(MinuteNumber(board=meeting.board, meeting_date=meeting.day, minute=key, number=following,
                                     given_at=now))
    session.flush()
    return numbers


def save(session: Session, meeting: Meeting, content: dict[str, Any], actor: str, now: dt.datetime) -> Saved:
    latest = latest_version(session, meeting.board, meeting.day)
    version = (latest.version if latest else 0) + 1
    digest = content_sha256(content)
    session.add(MinutesVersion(board=meeting.board, meeting_date=meeting.day, version=version,
                               content=content, sha256=digest, saved_by=actor, saved_at=now))
    session.flush()
    return Saved(meeting.board, meeting.day, version, digest, True)


def drafted(meeting: Meeting, numbers: dict[str, int]) -> dict[str, str]:
    """Every minute's narrative as drafted from the business (the numbers do not change the words)."""
    business = {b.key: b for b in meeting.business}
    return {key: build(meeting, key, business.get(key), str(numbers.get(key, ""))).narrative for key in meeting.keys}


def draft_minutes(store: Store, board: str, day: dt.date, actor: str) -> Saved:
    """Number the meeting's minutes and save the draft (version 1); a draft made already is left as it is."""
    now = store.clock.now()
    with minutes_work(store) as session:
        meeting = gather(store, session, board, day)
        who = require_clerk(meeting, actor, "draft")
        latest = latest_version(session, board, day)
        if latest is not None:
            return Saved(board, day, latest.version, latest.sha256, False)
        refuse_approved(session, meeting)
        numbers = number(store, session, meeting, now)
        narratives = drafted(meeting, numbers)
        return save(session, meeting, complete(meeting, numbers, narratives), who, now)


def edit_minutes(store: Store, board: str, day: dt.date, actor: str, narratives: dict[str, str]) -> Saved:
    """Save a new version with these narratives, each minute named by its number ('SMK12') or its key."""
    now = store.clock.now()
    with minutes_work(store) as session:
        meeting = gather(store, session, board, day)
        who = require_clerk(meeting, actor, "edit")
        refuse_approved(session, meeting)
        numbers = number(store, session, meeting, now)
        label = labels(meeting, numbers, 0)
        by_label = {text: key for key, text in label.items()}
        latest = latest_version(session, board, day)
        current = {**drafted(meeting, numbers), **(latest.content.get("narratives", {}) if latest else {})}
        for name, text in narratives.items():
            key = by_label.get(name, name if name in label else None)
            if key is None:
                raise InvalidInput(f"the minutes of {written_date(day)} have no minute '{name}'"
                                   f"{suggest(name, list(by_label))}; they are {', '.join(by_label)}")
            if not isinstance(text, str) or len(text) > NARRATIVE_MAX:
                raise InvalidInput(f"the narrative of {label[key]} must be text of at most {NARRATIVE_MAX} "
                                   "characters")
            refuse_unreadable(meeting, actor, [key], "edit")
            current[key] = text.replace("\r\n", "\n").strip()
        content = complete(meeting, numbers, current)
        if latest is not None and content_sha256(content) == latest.sha256:
            return Saved(board, day, latest.version, latest.sha256, False)
        return save(session, meeting, content, who, now)


def approve_minutes(store: Store, board: str, day: dt.date, actor: str, *, at: dt.date) -> Approved:
    """Record that the board's meeting on `at` approved the latest version and the chair signed it."""
    now = store.clock.now()
    with minutes_work(store) as session:
        meeting = gather(store, session, board, day)
        who = require_clerk(meeting, actor, "approve")
        refuse_unreadable(meeting, actor, meeting.keys, "approve")
        refuse_approved(session, meeting)
        latest = latest_version(session, board, day)
        if latest is None:
            raise InvalidInput(f"the minutes of the {meeting.spec.name} of {written_date(day)} have not been "
                               "drafted; draft them first (cycle minutes draft)")
        if at <= day:
            raise InvalidInput(f"minutes are approved at a later meeting; {written_date(at)} is not after "
                               f"{written_date(day)}")
        if at > local_date(now):
            raise InvalidInput(f"the meeting of {written_date(at)} has not been held yet; approve the minutes on "
                               "or after the day it meets")
        if not meets_on(session, meeting, at):
            raise InvalidInput(f"the {meeting.spec.name} has no meeting on {written_date(at)}: neither a decision "
                               "recorded nor a meeting scheduled that day; give --at the day of the meeting that "
                               "approved the minutes")
        # What is approved is the minutes as they read now: business recorded since the last save is numbered
        # and a version saved with it, so the copy signed is complete.
        numbers = number(store, session, meeting, now)
        content = complete(meeting, numbers, {**drafted(meeting, numbers), **latest.content.get("narratives", {})})
        if content_sha256(content) != latest.sha256:
            save(session, meeting, content, who, now)
            latest = latest_version(session, board, day)
            assert latest is not None
        chair = meeting.spec.chair
        person = meeting.definitions[0].people.get(chair) if chair else None
        signed = named(person) if person else f"the Chair of the {meeting.spec.name}"
        session.add(MinutesApproval(board=board, meeting_date=day, approved_on=at, version=latest.version,
                                    sha256=latest.sha256, chair=signed, approved_by=who, approved_at=now))
        session.flush()
        return Approved(board, day, at, latest.version, latest.sha256, signed)


def meets_on(session: Session, meeting: Meeting, day: dt.date) -> bool:
    """Does the board meet on `day`: business recorded for it that day, or a meeting of it scheduled then (moves
    and cancellations applied) in a cycle whose business the minutes record?"""
    recorded = session.scalar(select(Decision.id).where(Decision.board == meeting.board,
                                                        Decision.meeting_date == day).limit(1))
    if recorded is not None:
        return True
    cycles = {b.decision.cycle_id: b.definition for b in meeting.business}
    for cycle_id, definition in cycles.items():
        year = session.scalar(select(Cycle.year).where(Cycle.id == cycle_id))
        if year is not None and any(s.day == day and not s.cancelled and s.meeting.board == meeting.board
                                    for s in scheduled(session, definition, cycle_id, year)):
            return True
    return False
