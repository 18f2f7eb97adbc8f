"""A cycle's contacts outside the directory, in the definition's case roles: added, changed and removed by an officer.

Who may do any of it is the definition's `permissions.contacts`, checked here for the CLI, the API and the
pages alike. A contact has a name and an email, a postal address or both: what a reminder addressed to their
case role is sent by. A removed contact's row stays, with who removed it and when.

Every change is a history row (`contact_added`, `contact_changed`, `contact_removed`), sealed and chained like
the others. The name, email and address are personal data, so the row keeps each only as its keyed digest
(`workflow.store.field_digest`, the key kept on the contact) as `case_fields` does: never a value in clear.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from workflow.commands import cycles
from workflow.commands.rows import INSERT_HISTORY, history_row
from workflow.definition.loader import suggest
from workflow.definition.model import Definition
from workflow.errors import FieldValuesInvalid, InvalidInput, NotFound, RoleMissing
from workflow.store.field_digest import DIGEST, field_digest, new_salt
from workflow.store.models import CaseContact, Cycle
from workflow.store.unit import Store

NAME_MAX, EMAIL_MAX, ADDRESS_MAX = 200, 320, 1000
COMMAND = "contacts"
ADDED, CHANGED, REMOVED = "contact_added", "contact_changed", "contact_removed"
HISTORY_ACTIONS = (ADDED, CHANGED, REMOVED)
PERSONAL = ("name", "email", "address")
KEEP: object = object()
"""`change`'s default for a value not given: keep it as it is."""


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
        role, name, email, address = checked(definition, role, name, email, address)
        row = CaseContact(cycle_id=cycle.id, role=role, name=name, email=email, address=address, added_by=actor,
                          added_at=now, salt=new_salt())
        session.add(row)
        session.flush()
        _history(store, session, cycle, row, actor, ADDED, [f for f in PERSONAL if getattr(row, f)], now)
        return _contact(cycle, definition, row)


def change(store: Store, cycle_ref: str | int, actor: str, contact_id: int, *, role: str | None = None,
           name: str | None = None, email: object = KEEP, address: object = KEEP) -> tuple[Contact, list[str]]:
    """Change a current contact's case role, name, email or address (an empty email or address clears it); every
    value is checked, with the contact as it would be, before anything is written. The contact and what changed."""
    now = store.clock.now()
    with store.unit_of_work() as session:
        cycle, definition = acting(store, session, cycle_ref, actor)
        row = _current(session, cycle, contact_id)
        wanted = checked(definition, role if role is not None else row.role, name if name is not None else row.name,
                         row.email if email is KEEP else _text(email), row.address if address is KEEP else _text(address))
        before = (row.role, row.name, row.email, row.address)
        changed = [field for field, old, new in zip(("role", *PERSONAL), before, wanted, strict=True) if old != new]
        if changed:
            row.role, row.name, row.email, row.address = wanted
            row.salt = row.salt or new_salt()
            session.flush()
            _history(store, session, cycle, row, actor, CHANGED, [f for f in changed if f in PERSONAL], now)
        return _contact(cycle, definition, row), changed


def remove(store: Store, cycle_ref: str | int, actor: str, contact_id: int) -> Contact:
    """Stop writing to contact `contact_id` of the cycle: the row stays, marked removed."""
    now = store.clock.now()
    with store.unit_of_work() as session:
        cycle, definition = acting(store, session, cycle_ref, actor)
        row = _current(session, cycle, contact_id)
        row.removed_by, row.removed_at = actor, now
        session.flush()
        _history(store, session, cycle, row, actor, REMOVED, (), now)
        return _contact(cycle, definition, row)


def checked(definition: Definition, role: str, name: str, email: str | None,
            address: str | None) -> tuple[str, str, str | None, str | None]:
    """The contact's values as stored, or FieldValuesInvalid with a sentence for each one wrong (role, name,
    email, address), every problem at once."""
    problems: dict[str, str] = {}
    if role not in definition.case_roles:
        known = ", ".join(definition.case_roles) or "none"
        problems["role"] = (f"'{definition.id}' has no case role '{role}'{suggest(role, definition.case_roles)} "
                            f"(its case roles: {known})")
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        problems["name"] = f"a contact's name is 1 to {NAME_MAX} characters; this one has {len(name)}"
    found: dict[str, str | None] = {}
    for field, check in (("email", _email), ("address", _address)):
        try:
            found[field] = check(email if field == "email" else address)
        except InvalidInput as exc:
            problems[field] = str(exc)
    if "email" not in problems and "address" not in problems and not found["email"] and not found["address"]:
        problems["email"] = "a contact needs an email, a postal address or both, to be written to"
    if problems:
        raise FieldValuesInvalid(problems)
    return role, name, found["email"], found["address"]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _current(session: Session, cycle: Cycle, contact_id: int) -> CaseContact:
    row = session.scalars(select(CaseContact).where(CaseContact.id == contact_id, CaseContact.cycle_id == cycle.id,
                                                    CaseContact.removed_at.is_(None))).one_or_none()
    if row is None:
        raise NotFound(f"cycle {cycle.key} has no contact {contact_id}; 'cycle contacts list {cycle.key}' lists them")
    return row


def _contact(cycle: Cycle, definition: Definition, row: CaseContact) -> Contact:
    return Contact(row.id, cycle.key, row.role, definition.case_roles.get(row.role, row.role), row.name, row.email,
                   row.address)


def _history(store: Store, session: Session, cycle: Cycle, row: CaseContact, actor: str, action: str,
             personal: tuple[str, ...] | list[str], now: dt.datetime) -> None:
    """The change's history row: the contact's number and case role, and a digest of each personal value given."""
    values: dict[str, str | None] = {"name": row.name, "email": row.email, "address": row.address}
    digests = {field: {DIGEST: field_digest(row.salt or "", field, value)} if (value := values[field]) else None
               for field in personal}
    data: dict[str, object] = {"contact": row.id, "role": row.role}
    if digests:
        data["values"] = digests
    session.connection().execute(INSERT_HISTORY, history_row(store, cycle, now,
                                                             actor, action, trigger=None, from_state=None,
                                                             to_state=None, comment=None, data=data))
    cycle.updated_at = now  # bumps the cycle's version: concurrent commands serialise
    flag_modified(cycle, "updated_at")


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
