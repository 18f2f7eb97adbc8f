"""A case's outside parties on the web: its contacts and the letters for post to them, for the API and the pages.

Each function seats the signed-in person in the cycle's directory (a cycle whose directory does not list them
does not exist, to them) and calls the engine's own command or read, which checks `permissions.contacts` in one
place: `workflow.commands.contacts`, `workflow.commands.letters`, `workflow.reads.contacts`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import Request

from workflow.commands import contacts as commands
from workflow.commands.letters import LetterPosted, mark_posted
from workflow.errors import NotFound, RoleMissing
from workflow.reads import contacts as reads

from .access import Seat, engine_of, known_of, person_in, seat
from .accounts import Principal


def contact_out(contact: commands.Contact) -> dict[str, Any]:
    return dataclasses.asdict(contact)


def letter_out(letter: reads.Letter) -> dict[str, Any]:
    return {"id": letter.id, "cycle": letter.cycle, "subject": letter.subject, "created_at": letter.created_at,
            "to": letter.contact.name, "role": letter.contact.role, "role_title": letter.contact.role_title,
            "address": letter.contact.address, "posted_on": letter.posted_on, "posted_by": letter.posted_by,
            "pdf": f"/api/v1/letters/{letter.id}/pdf"}


def contacts_of(request: Request, me: Principal, cycle: str) -> tuple[Seat, list[commands.Contact]]:
    at = seat(known_of(request), me, cycle)
    return at, reads.contacts(engine_of(request), at.cycle.id, at.person)


def all_letters(request: Request, me: Principal, *, to_post: bool = False) -> list[reads.Letter]:
    """The letters for post of every cycle whose contacts `me` manages, oldest cycle first; nothing of another."""
    engine, known = engine_of(request), known_of(request)
    found: list[reads.Letter] = []
    for cycle_id in reads.cycles_with_letters(engine):
        try:
            definition = known.get(cycle_id).definition
        except NotFound:
            continue
        person = person_in(definition, me)
        if person is None:
            continue
        try:
            found += reads.letters(engine, cycle_id, person, to_post=to_post)
        except RoleMissing:
            continue
    return found


def _letter_seat(request: Request, me: Principal, letter_id: int) -> Seat:
    """Where `me` sits at the letter's cycle; a letter of a cycle whose directory does not list them is not there."""
    cycle_id = reads.cycle_of_letter(engine_of(request), letter_id)
    try:
        return seat(known_of(request), me, cycle_id)
    except NotFound:
        raise NotFound(f"there is no letter {letter_id}") from None


def letter_pdf(request: Request, me: Principal, letter_id: int) -> tuple[Seat, bytes]:
    at = _letter_seat(request, me, letter_id)
    return at, reads.letter_pdf(engine_of(request), at.cycle.id, at.person, letter_id)


def posted(request: Request, me: Principal, letter_id: int, on: dt.date | None) -> LetterPosted:
    at = _letter_seat(request, me, letter_id)
    return mark_posted(engine_of(request), letter_id, at.person, on)
