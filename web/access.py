"""The signed-in person as the engine knows them: their id in the directory of the cycle concerned.

A person is their email; each definition version lists them under an id of its own.
A cycle whose directory does not list the person is, to them, a cycle that does not
exist: the same 404, the same sentence. Roles are then checked by the engine itself,
as for `--as`; entitlement to exempt information by `workflow.entitlement`.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.definition import Definition
from workflow.engine import Engine
from workflow.errors import NotFound
from workflow.models import Cycle
from workflow.mywork import find_person

from .accounts import Principal


@dataclass(frozen=True)
class Seat:
    """A person at one cycle: the cycle, its definition version, and who they are in it."""

    cycle: Cycle
    definition: Definition
    person: str


def no_cycle(ref: str | int) -> NotFound:
    return NotFound(f"there is no cycle '{ref}'")


def seat(engine: Engine, me: Principal, ref: str | int) -> Seat:
    """Where `me` sits at cycle `ref`; NotFound, as for a missing cycle, when its directory does not list them."""
    try:
        cycle, definition = engine.definition_of(ref)
    except NotFound:
        raise no_cycle(ref) from None
    person = find_person(definition, me.email)
    if person is None:
        raise no_cycle(ref)
    engine.roles_of(definition, person.id)  # the engine's own directory check, as for --as
    return Seat(cycle, definition, person.id)


def person_in(definition: Definition, me: Principal) -> str | None:
    found = find_person(definition, me.email)
    return found.id if found else None
