"""A cycle's contacts outside the directory, in the definition's case roles: added and removed by an officer.

Who may do either is the definition's `permissions.contacts`. A contact has a name and an email, a
postal address or both: what a reminder addressed to their case role is sent by. A removed contact's
row stays, with who removed it and when.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands import cycles
from workflow.definition.loader import suggest
from workflow.definition.model import Definition
from workflow.errors import InvalidInput, NotFound, RoleMissing
from workflow.store.models import CaseContact, Cycle
from workflow.store.unit import Store

NAME_MAX, EMAIL_MAX, ADDRESS_MAX = 200, 320, 1000
COMMAND = "contacts"


@dataclass(frozen=True)
class Contact:
    id: int
    cycle: str
    role: str
    role_title: str
    name: str
    email: str | None
    address: str | None


def add(store: Store, cycle_ref: str | int, actor: str, *, role: str, name: str, email: str | None = None,
        address: str | None = None) -> Contact:
    """Give the cycle a contact in `role`; every value is checked before anything is written."""
    now = store.clock.now()
    with store.unit_of_work() as session:
        cycle, definition = acting(store, session, cycle_ref, actor)
        if role not in definition.case_roles:
            known = ", ".join(definition.case_roles) or "none"
            raise InvalidInput(f"'{definition.id}' has no case role '{role}'{suggest(role, definition.case_roles)} "
                               f"(its case roles: {known})")
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX:
            raise InvalidInput(f"a contact's name is 1 to {NAME_MAX} characters; this one has {len(name)}")
        email = _email(email)
        address = _address(address)
        if email is None and address is None:
            raise InvalidInput("a contact needs an email, a postal address or both, to be written to")
        row = CaseContact(cycle_id=cycle.id, role=role, name=name, email=email, address=address, added_by=actor,
                          added_at=now)
        session.add(row)
        session.flush()
        return Contact(row.id, cycle.key, role, definition.case_roles[role], name, email, address)


def remove(store: Store, cycle_ref: str | int, actor: str, contact_id: int) -> Contact:
    """Stop writing to contact `contact_id` of the cycle: the row stays, marked removed."""
    now = store.clock.now()
    with store.unit_of_work() as session:
        cycle, definition = acting(store, session, cycle_ref, actor)
        row = session.scalars(select(CaseContact).where(CaseContact.id == contact_id, CaseContact.cycle_id == cycle.id,
                                                        CaseContact.removed_at.is_(None))).one_or_none()
        if row is None:
            raise NotFound(f"cycle {cycle.key} has no contact {contact_id}; 'cycle contacts list {cycle.key}' "
                           "lists them")
        row.removed_by, row.removed_at = actor, now
        return Contact(row.id, cycle.key, row.role, definition.case_roles.get(row.role, row.role), row.name, row.email, row.address)


def acting(store: Store, session: Session, cycle_ref: str | int, actor: str) -> tuple[Cycle, Definition]:
    """`cycles.acting` for `permissions.contacts`, its refusal worded for people."""
    try:
        return cycles.acting(store, session, cycle_ref, actor, COMMAND)
    except RoleMissing as exc:
        raise RoleMissing(str(exc).replace(f"cannot {COMMAND} on", "cannot manage the contacts of cycles of", 1)) \
            from None


def _email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"'{email}' is not an email address: {exc}") from None
    if len(email) > EMAIL_MAX:
        raise InvalidInput(f"an email address is at most {EMAIL_MAX} characters")
    return email


def _address(address: str | None) -> str | None:
    if address is None:
        return None
    lines = [" ".join(line.split()) for line in address.replace("\\n", "\n").replace(",", "\n").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return None
    text = "\n".join(lines)
    if len(text) > ADDRESS_MAX:
        raise InvalidInput(f"a postal address is at most {ADDRESS_MAX} characters")
    return text
