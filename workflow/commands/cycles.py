"""What every command (and read) does first: find the cycle, its definition version, the actor's roles."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from workflow.definition.loader import suggest
from workflow.definition.model import SYSTEM_ROLE, Definition
from workflow.errors import CycleFinished, NotFound, RoleMissing, UnknownActor
from workflow.store.models import Cycle
from workflow.store.unit import Store

SYSTEM_ACTOR = "system"
MAX_ROW_ID = 2**31 - 1  # the largest id an INTEGER column holds

CYCLE_BY_KEY = select(Cycle).where(Cycle.key == bindparam("ref"))


def find_cycle(session: Session, ref: str | int) -> Cycle:
    """The cycle by key or id, or NotFound with the nearest key."""
    if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        # An id too large for the column is simply not there (and never reaches the driver).
        number = int(ref)
        # By primary key: a row this transaction has already read (`fire_seated`) is not read again.
        found = session.get(Cycle, number) if number <= MAX_ROW_ID else None
    else:
        found = session.scalars(CYCLE_BY_KEY, {"ref": ref}).one_or_none()
    if found is None:
        keys = list(session.scalars(select(Cycle.key)))
        raise NotFound(f"there is no cycle '{ref}'{suggest(str(ref), keys)}")
    return found


def definition_of(store: Store, session: Session, cycle: Cycle) -> Definition:
    """The definition version the cycle runs on."""
    return store.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)


def roles_of(definition: Definition, actor: str) -> tuple[str, ...]:
    """The roles `actor` holds in the definition's directory, as every command checks them."""
    if actor == SYSTEM_ACTOR:
        return (SYSTEM_ROLE,)
    if actor not in definition.people:
        raise UnknownActor(
            f"'{actor}' is not in the directory of '{definition.id}'{suggest(actor, definition.people)}; "
            "give --as one of the people the definition lists"
        )
    return definition.people[actor].roles


def require(definition: Definition, actor: str, command: str) -> None:
    """Refuse (RoleMissing) unless `actor` holds a role the definition grants `command` to."""
    allowed = definition.permissions.get(command, ())
    held = roles_of(definition, actor)
    if not set(allowed) & set(held):
        raise RoleMissing(
            f"{actor} cannot {command} on '{definition.id}': that needs one of the roles "
            f"{', '.join(allowed) or '(none defined)'}, and {actor} holds {', '.join(held) or 'none'}"
        )


def ensure_active(cycle: Cycle) -> None:
    if cycle.status != "active":
        raise CycleFinished(f"cycle {cycle.key} is complete (it ended at '{cycle.state}'); nothing more "
                            "can change it")


def acting(store: Store, session: Session, cycle_ref: str | int, actor: str,
           command: str) -> tuple[Cycle, Definition]:
    """The running cycle and its definition version, once `actor` is shown to hold a role for `command`."""
    cycle = find_cycle(session, cycle_ref)
    definition = definition_of(store, session, cycle)
    require(definition, actor, command)
    ensure_active(cycle)
    return cycle, definition


def reader(definition: Definition, person: str | None) -> str | None:
    """The person a read is for (None: the public), checked against the cycle's directory."""
    if person is not None and person not in definition.people:
        raise UnknownActor(
            f"'{person}' is not in the directory of '{definition.id}'{suggest(person, definition.people)}; "
            "give --as one of the people the definition lists, or leave it out for the public view"
        )
    return person
