"""A cycle's contacts outside the directory, for those the definition lets manage them (`permissions.contacts`)."""

from __future__ import annotations

from sqlalchemy import select

from workflow.commands.contacts import COMMAND, Contact
from workflow.commands.cycles import definition_of, find_cycle, require
from workflow.errors import RoleMissing
from workflow.store.models import CaseContact
from workflow.store.unit import Store


def contacts(store: Store, cycle_ref: str | int, actor: str, *, role: str | None = None) -> list[Contact]:
    """The cycle's current contacts (optionally in one case role), oldest first; personal data, so role-checked."""
    with store.sessions() as session:
        cycle = find_cycle(session, cycle_ref)
        definition = definition_of(store, session, cycle)
        try:
            require(definition, actor, COMMAND)
        except RoleMissing as exc:
            raise RoleMissing(str(exc).replace(f"cannot {COMMAND} on", "cannot see the contacts of cycles of", 1)) \
                from None
        query = select(CaseContact).where(CaseContact.cycle_id == cycle.id, CaseContact.removed_at.is_(None))
        if role is not None:
            query = query.where(CaseContact.role == role)
        rows = session.scalars(query.order_by(CaseContact.id)).all()
        return [Contact(r.id, cycle.key, r.role, definition.case_roles.get(r.role, r.role), r.name, r.email, r.address)
                for r in rows]
