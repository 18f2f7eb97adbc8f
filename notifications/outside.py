"""Reminders to a cycle's contacts outside the directory: an email, or a letter for post when they have no email.

A reminder rule addressed to `case_role:<role>` is sent, at each of its occurrences, to the
cycle's current contacts in that role. They are sent only that: the reminder rendered with
them as its recipient, with no paper, no link into the site (they have no account) and no
board meeting (its place and time are the board's). A contact with an email gets an email;
one with only a postal address gets a letter, a PDF kept with the cycle's files and listed by
`cycle letters list` for an officer to print and post.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.entitlement import CONTACT, PERSONAL_MAIL
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, ReminderRule
from workflow.store.models import CaseContact, CaseLetter, Cycle, Mail
from workflow.store.paper_store import PaperStore
from workflow.time.clock import local_date
from workflow.time.reminder_times import REMINDER

from .pdf import to_pdf

Render = Callable[[dict[str, object], bool], tuple[str, str, str]]
"""The rule's subject, text and HTML, for a recipient context (`notifications.reminders.context`'s 'recipient')
and whether their case role receives the case's personal fields (`receives_personal`)."""
BODY = re.compile(r"<body[^>]*>", re.I)


def case_roles(rule: ReminderRule) -> list[str]:
    return [spec.partition(":")[2] for spec in rule.recipients if spec.startswith("case_role:")]


def recipient(definition: Definition, contact: CaseContact) -> dict[str, object]:
    """A contact as a template's `recipient`: their name, their case role as their title."""
    return {"person": "", "name": contact.name, "title": definition.case_roles.get(contact.role, contact.role),
            "email": contact.email or "", "voting": False, "member": False}


def write(session: Session, files: PaperStore, cycle: Cycle, definition: Definition, rule: ReminderRule, key: str,
          dated: dt.datetime, now: dt.datetime, render: Render, message_id: Callable[[str], str]) -> None:
    """One email or letter per current contact in the rule's case roles, once per occurrence (`key`)."""
    roles = case_roles(rule)
    if not roles:
        return
    contacts = session.scalars(select(CaseContact).where(CaseContact.cycle_id == cycle.id,
                                                         CaseContact.role.in_(roles),
                                                         CaseContact.removed_at.is_(None))
                               .order_by(CaseContact.id)).all()
    for contact in contacts:
        own = f"{key}:contact:{contact.id}"
        if session.scalars(select(Mail.id).where(Mail.key == own)).first() is not None or \
                session.scalars(select(CaseLetter.id).where(CaseLetter.key == own)).first() is not None:
            continue
        personal = contact.role in definition.personal_case_roles
        subject, text, body = render(recipient(definition, contact), personal)
        if contact.email:
            session.add(Mail(key=own, cycle_id=cycle.id, kind=REMINDER, person=f"{CONTACT}{contact.id}",
                             recipient=contact.email, subject=subject, text_body=text, html_body=body,
                             attachments={PERSONAL_MAIL: personal}, message_id=message_id(own), dated=dated, status="pending", attempts=0,
                             next_attempt_at=now, created_at=now))
        else:
            pdf = to_pdf(letter(contact, subject, body, local_date(dated)))
            session.add(CaseLetter(key=own, cycle_id=cycle.id, contact_id=contact.id, subject=subject[:300],
                                   pdf_sha256=files.put(pdf), created_at=now))


def still_addressed(session: Session, mail: Mail) -> bool:
    """Is the contact this email was written to still the cycle's, at the same address (not removed since)?"""
    number = mail.person.removeprefix(CONTACT)
    contact = session.get(CaseContact, int(number)) if number.isdigit() else None
    return (contact is not None and contact.removed_at is None and contact.cycle_id == mail.cycle_id
            and (contact.email or "").strip().lower() == mail.recipient.strip().lower())


def letter(contact: CaseContact, subject: str, body: str, day: dt.date) -> str:
    """The reminder's HTML as a letter: the postal address and the date above it."""
    lines = [contact.name, *(contact.address or "").splitlines()]
    heading = (f'<address style="font-style: normal; margin-bottom: 2em">{"<br>".join(html.escape(x) for x in lines)}'
               f'</address><p>{html.escape(long_date(day))}</p>')
    found = BODY.search(body)
    if found is None:
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(subject)}</title>'
                f"</head><body>{heading}{body}</body></html>")
    return body[:found.end()] + heading + body[found.end():]
