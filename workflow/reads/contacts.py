"""A cycle's contacts outside the directory and the letters for post to them, for those the definition lets manage
them (`permissions.contacts`): personal data, so never shown to anyone else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.contacts import COMMAND, Contact
from workflow.commands.cycles import definition_of, find_cycle, require
from workflow.definition.model import Definition
from workflow.errors import NotFound, RoleMissing
from workflow.reads.erasure import require_kept
from workflow.store.models import CaseContact, CaseLetter, CaseLetterPost, Cycle
from workflow.store.unit import Store
from workflow.time.clock import local_date


@dataclass(frozen=True)
class Letter:
    id: int
    cycle: str
    contact: Contact
    subject: str
    created_at: dt.datetime
    pdf_sha256: str
    posted_on: dt.date | None = None  # marked posted (`cycle letters posted`): the day it went, and by whom
    posted_by: str | None = None


def _managed(store: Store, session: Session, cycle_ref: str | int, actor: str) -> tuple[Cycle, Definition]:
    cycle = find_cycle(session, cycle_ref)
    definition = definition_of(store, session, cycle)
    try:
        require(definition, actor, COMMAND)
    except RoleMissing as exc:
        raise RoleMissing(str(exc).replace(f"cannot {COMMAND} on", "cannot see the contacts of cycles of", 1)) \
            from None
    return cycle, definition


def _contact(cycle: Cycle, definition: Definition, row: CaseContact) -> Contact:
    name = row.name if row.erased_at is None else f"(erased on {local_date(row.erased_at).isoformat()} after the " \
        "retention period)"
    return Contact(row.id, cycle.key, row.role, definition.case_roles.get(row.role, row.role), name, row.email,
                   row.address)


def contacts(store: Store, cycle_ref: str | int, actor: str, *, role: str | None = None) -> list[Contact]:
    """The cycle's current contacts (optionally in one case role), oldest first."""
    with store.sessions() as session:
        cycle, definition = _managed(store, session, cycle_ref, actor)
        query = select(CaseContact).where(CaseContact.cycle_id == cycle.id, CaseContact.removed_at.is_(None))
        if role is not None:
            query = query.where(CaseContact.role == role)
        return [_contact(cycle, definition, r) for r in session.scalars(query.order_by(CaseContact.id))]


def letters(store: Store, cycle_ref: str | int, actor: str, *, to_post: bool = False) -> list[Letter]:
    """The letters for post the cycle's reminders produced (contacts with no email), oldest first; `to_post`:
    only those not yet marked posted."""
    with store.sessions() as session:
        cycle, definition = _managed(store, session, cycle_ref, actor)
        query = (select(CaseLetter, CaseContact, CaseLetterPost)
                 .join(CaseContact, CaseContact.id == CaseLetter.contact_id)
                 .outerjoin(CaseLetterPost, CaseLetterPost.letter_id == CaseLetter.id)
                 .where(CaseLetter.cycle_id == cycle.id).order_by(CaseLetter.id))
        if to_post:
            query = query.where(CaseLetterPost.id.is_(None))
        return [Letter(letter.id, cycle.key, _contact(cycle, definition, contact),
                       letter.subject if letter.erased_at is None else "(erased after the retention period)",
                       letter.created_at, letter.pdf_sha256, post.posted_on if post else None,
                       post.posted_by if post else None)
                for letter, contact, post in session.execute(query).all()]


def cycles_with_letters(store: Store) -> list[int]:
    """The cycles that have letters for post, by id: those a list across cycles asks, each checked as above."""
    with store.sessions() as session:
        return list(session.scalars(select(CaseLetter.cycle_id).distinct().order_by(CaseLetter.cycle_id)))


def cycle_of_letter(store: Store, letter_id: int) -> int:
    """The cycle letter `letter_id` was written for, by id; NotFound (the same for every reader) when none."""
    with store.sessions() as session:
        found = session.scalar(select(CaseLetter.cycle_id).where(CaseLetter.id == letter_id))
    if found is None:
        raise NotFound(f"there is no letter {letter_id}")
    return found


def letter_pdf(store: Store, cycle_ref: str | int, actor: str, letter_id: int) -> bytes:
    """Letter `letter_id` of the cycle, as the PDF to print, checked against its SHA-256."""
    found = next((x for x in letters(store, cycle_ref, actor) if x.id == letter_id), None)
    if found is None:
        raise NotFound(f"cycle {cycle_ref} has no letter {letter_id}; 'cycle letters list {cycle_ref}' lists them")
    require_kept(store, found.pdf_sha256, f"letter {letter_id}")
    return store.papers.get_verified(found.pdf_sha256, f"letter {letter_id}")
