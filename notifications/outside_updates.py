"""A meeting moved or cancelled after a cycle's contacts were invited to it: each of them is sent the update.

The MeetingChanged handler beside the board's (`rescheduling`): each current contact with an email who was
written the meeting's invitation (`outside_invites`) and holds an older version of it is sent a short email
naming the new day, time, venue and remote link (or that the meeting is cancelled), with the iCalendar update:
the same UID, the change's higher SEQUENCE (METHOD:CANCEL when cancelled), them as its only attendee. As for the
invitation: no board member's address, no paper, no link into the site, and not the committee manager's reason
(it is written for the board). It is in our words, not the definition's `meeting_changed` templates, so a
definition without them still keeps its contacts' calendars right.

Exactly once per case, meeting, contact and change: the mail row's unique key names the change's SEQUENCE, and
it goes through the outbox as every email does (a removed contact's is withheld at delivery). A contact invited
after the change was invited to the new day (the reminders read the latest change) and is sent nothing more;
nobody never invited is sent anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.entitlement import CONTACT
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, Meeting
from workflow.engine import Engine
from workflow.store.models import CaseContact, Cycle, Mail, OutboxEvent

from .calendar_invite import meeting_invite, meeting_times
from .outside_invites import INVITATION, as_html, key_of
from .reminders import message_id

UPDATE = "update"


@dataclass(frozen=True)
class Held:
    """The latest version of the meeting a contact was sent: what their calendar holds."""

    sequence: int
    day: dt.date | None


def held(session: Session, cycle: Cycle, meeting: Meeting, contact: CaseContact) -> Held | None:
    """The latest invitation or update of `meeting` written to `contact`, or None if they were never invited."""
    base = key_of(cycle, meeting, contact)
    rows = session.scalars(select(Mail).where(Mail.cycle_id == cycle.id, Mail.kind == INVITATION,
                                              Mail.person == f"{CONTACT}{contact.id}")).all()
    found: Held | None = None
    for row in rows:
        if row.key != base and not row.key.startswith(f"{base}:{UPDATE}:"):
            continue  # another meeting's
        version = calendar_version(row.attachments.get("invite"))
        if found is None or version.sequence > found.sequence:
            found = version
    return found


def calendar_version(ics: str | None) -> Held:
    """SEQUENCE and day of the event in an invitation; an invitation whose calendar is gone counts as the first."""
    if not ics:
        return Held(-1, None)
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    start = event.decoded("DTSTART")
    return Held(int(event.get("SEQUENCE", 0)), start.date() if isinstance(start, dt.datetime) else start)


def when(meeting: Meeting, day: dt.date) -> str:
    times = meeting_times(meeting, day)
    return long_date(day) + (f", {times[0]:%H:%M} to {times[1]:%H:%M}" if times else "")


def words(contact: CaseContact, meeting: Meeting, day: dt.date, before: dt.date | None, cancelled: bool) -> str:
    """The update in plain words: what changed, and where and when it now meets."""
    lines = [f"Dear {contact.name},", ""]
    if cancelled:
        lines += [f"The {meeting.title} on {long_date(day)}, to which you were invited, is cancelled.", "",
                  "The cancellation is attached: it removes the meeting from your calendar."]
        return "\n".join(lines)
    was = f" on {long_date(before)}" if before is not None and before != day else ""
    lines.append(f"The {meeting.title}{was}, to which you were invited, has moved to {when(meeting, day)}.")
    if meeting.venue:
        lines.append(f"It meets at {meeting.venue}.")
    if meeting.remote_link:
        lines.append(f"To join remotely: {meeting.remote_link}")
    lines += ["", "The updated invitation is attached: it changes the entry in your calendar."]
    return "\n".join(lines)


def update(session: Session, cycle: Cycle, definition: Definition, meeting: Meeting, day: dt.date, now: dt.datetime,
           message_id: Callable[[str], str], *, sequence: int, cancelled: bool) -> int:
    """Add the update email of each current contact the meeting's invitation was written to at an older SEQUENCE
    than `sequence`; how many were added."""
    contacts = session.scalars(select(CaseContact).where(
        CaseContact.cycle_id == cycle.id, CaseContact.removed_at.is_(None), CaseContact.email.is_not(None))
        .order_by(CaseContact.id)).all()
    added = 0
    for contact in contacts:
        version = held(session, cycle, meeting, contact)
        if not contact.email or version is None or version.sequence >= sequence:
            continue  # never invited; or already holds this change or a later one
        key = f"{key_of(cycle, meeting, contact)}:{UPDATE}:{sequence}"
        text = words(contact, meeting, day, version.day, cancelled)
        ics = meeting_invite(definition, cycle.key, meeting, day, now, sequence=sequence, cancelled=cancelled,
                             guest=(contact.name, contact.email))
        subject = (f"Cancelled: {meeting.title}, {long_date(day)}" if cancelled
                   else f"Meeting moved: {meeting.title}, now {when(meeting, day)}")
        session.add(Mail(key=key, cycle_id=cycle.id, kind=INVITATION, person=f"{CONTACT}{contact.id}",
                         recipient=contact.email, subject=subject, text_body=text, html_body=as_html(text),
                         attachments={"invite": ics}, message_id=message_id(key), dated=now, status="pending",
                         attempts=0, next_attempt_at=now, created_at=now))
        added += 1
    return added


def update_action(engine: Engine, domain: str) -> Callable[[Session, OutboxEvent, dt.datetime], None]:
    """The MeetingChanged handler for the contacts a meeting invited."""

    def notify(session: Session, event: OutboxEvent, now: dt.datetime) -> None:
        cycle = session.get(Cycle, event.cycle_id)
        if cycle is None:
            return
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        payload = event.payload
        meeting = definition.meetings.get(payload["meeting"])
        if meeting is None:
            return
        moved = replace(meeting, start=dt.time.fromisoformat(payload["start"]) if payload["start"] else None)
        update(session, cycle, definition, moved, dt.date.fromisoformat(payload["date"]), now,
               lambda key: message_id(key, domain), sequence=payload["sequence"], cancelled=payload["cancelled"])

    return notify
