"""Meeting invitations to a cycle's contacts outside the directory: a meeting's `invite: [case_role]`.

When the board's reminders for the meeting's stage go out with their invitation, each current contact in
those case roles who has an email is sent the meeting's invitation too (iCalendar, METHOD:REQUEST), exactly
once per cycle, meeting and contact (the mail row's unique key), through the same outbox. They are the
invitation's only attendee: no board member's address, no paper, no link into the site. A contact with no
email gets no invitation (a letter is what a reminder addressed to their role is for).
A move or cancellation of the meeting afterwards is sent to those invited by `outside_updates`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.entitlement import CONTACT
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, Meeting
from workflow.store.models import CaseContact, Cycle, Mail

from .calendar_invite import meeting_invite, meeting_times

INVITATION = "invitation"


def key_of(cycle: Cycle, meeting: Meeting, contact: CaseContact) -> str:
    return f"invite:{cycle.id}:{meeting.id}:contact:{contact.id}"


def words(contact: CaseContact, meeting: Meeting, day: dt.date) -> str:
    times = meeting_times(meeting, day)
    when = long_date(day) + (f", {times[0]:%H:%M} to {times[1]:%H:%M}" if times else "")
    lines = [f"Dear {contact.name},", "", f"You are invited to the {meeting.title} on {when}."]
    if meeting.venue:
        lines.append(f"It meets at {meeting.venue}.")
    if meeting.remote_link:
        lines.append(f"To join remotely: {meeting.remote_link}")
    lines += ["", "The invitation is attached for your calendar."]
    return "\n".join(lines)


def as_html(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>{paragraphs}</body></html>'


def invite(session: Session, cycle: Cycle, definition: Definition, meeting: Meeting, day: dt.date, now: dt.datetime,
           message_id: Callable[[str], str], *, sequence: int = 0) -> int:
    """Add the invitation email of each contact the meeting invites and has not yet invited; how many were added."""
    if not meeting.invite:
        return 0
    contacts = session.scalars(select(CaseContact).where(
        CaseContact.cycle_id == cycle.id, CaseContact.role.in_(meeting.invite), CaseContact.removed_at.is_(None),
        CaseContact.email.is_not(None)).order_by(CaseContact.id)).all()
    added = 0
    for contact in contacts:
        key = key_of(cycle, meeting, contact)
        if not contact.email or session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
            continue
        text = words(contact, meeting, day)
        ics = meeting_invite(definition, cycle.key, meeting, day, now, sequence=sequence,
                             guest=(contact.name, contact.email))
        session.add(Mail(key=key, cycle_id=cycle.id, kind=INVITATION, person=f"{CONTACT}{contact.id}",
                         recipient=contact.email, subject=f"Invitation: {meeting.title}, {long_date(day)}",
                         text_body=text, html_body=as_html(text), attachments={"invite": ics},
                         message_id=message_id(key), dated=now, status="pending", attempts=0, next_attempt_at=now,
                         created_at=now))
        added += 1
    return added
