"""The people of a definition's directory, found by id or by email."""

from __future__ import annotations

from workflow.definition.model import Definition, Person


def find_person(definition: Definition, who: str) -> Person | None:
    """The person `who` names in this directory: their id, or their email (any case)."""
    if who in definition.people:
        return definition.people[who]
    wanted = who.strip().lower()
    return next((p for p in definition.people.values() if p.email.lower() == wanted), None)
