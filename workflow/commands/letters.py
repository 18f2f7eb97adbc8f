"""Mark a letter for post as posted: the officer who sent it says so, once, with the day it went.

Who may is the definition's `permissions.contacts` (those who manage the cycle's contacts). The mark is an
append-only row (`case_letter_posts`, one per letter) and a history row (`letter_posted`) naming the letter and
the day, never the contact's name or address. A posted letter leaves the list of letters to post.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from workflow.commands.contacts import acting
from workflow.commands.rows import INSERT_HISTORY, history_row
from workflow.definition.formatting import long_date
from workflow.errors import InvalidInput, NotFound, Refused
from workflow.store.models import CaseLetter, CaseLetterPost, Cycle
from workflow.store.unit import Store
from workflow.time.clock import local_date

POSTED = "letter_posted"


class AlreadyPosted(Refused):
    """The letter was marked posted before: it went once."""

    reason = "already_posted"


@dataclass(frozen=True)
class LetterPosted:
    letter: int
    cycle: str
    posted_on: dt.date
    posted_by: str


def mark_posted(store: Store, letter_id: int, actor: str, on: dt.date | None = None) -> LetterPosted:
    """Record that letter `letter_id` was posted on `on` (today when not given) by `actor`; refused, writing
    nothing, for a day after today or before the letter was written, or a letter already marked."""
    now = store.clock.now()
    today = local_date(now)
    on = on or today
    with store.unit_of_work() as session:
        letter = session.get(CaseLetter, letter_id)
        if letter is None:
            raise NotFound(f"there is no letter {letter_id}")
        cycle_key = session.scalar(select(Cycle.key).where(Cycle.id == letter.cycle_id))
        cycle, _ = acting(store, session, cycle_key or letter.cycle_id, actor)
        written = local_date(letter.created_at)
        if on > today:
            raise InvalidInput(f"a letter is marked posted once it has gone: {long_date(on)} is after today")
        if on < written:
            raise InvalidInput(f"letter {letter_id} was written on {long_date(written)}: it cannot have been posted "
                               f"on {long_date(on)}")
        before = session.scalars(select(CaseLetterPost).where(CaseLetterPost.letter_id == letter_id)).first()
        if before is not None:
            raise AlreadyPosted(f"letter {letter_id} was marked posted on {long_date(before.posted_on)} by "
                                f"{before.posted_by}")
        session.add(CaseLetterPost(letter_id=letter_id, posted_on=on, posted_by=actor, recorded_at=now))
        try:
            session.flush()
        except IntegrityError:  # marked at the same moment by someone else: theirs stands, once
            raise AlreadyPosted(f"letter {letter_id} was marked posted a moment ago by someone else") from None
        session.connection().execute(INSERT_HISTORY, history_row(
            store, cycle, now, actor, POSTED, trigger=None, from_state=None, to_state=None, comment=None,
            data={"letter": letter_id, "posted_on": on.isoformat()}))
        cycle.updated_at = now
        flag_modified(cycle, "updated_at")
        return LetterPosted(letter_id, cycle.key, on, actor)
