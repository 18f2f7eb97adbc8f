"""What every command (and read) does first: find the cycle, its definition version, the actor's roles."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from workflow.definition.loader import suggest
from workflow.definition.model import SYSTEM_ROLE, Definition
from workflow.errors import CycleFinished, NotFound, RoleMissing, UnknownActor
from workflow.store.models import Base, Cycle, CycleRecord
from workflow.store.unit import Store

SYSTEM_ACTOR = "system"
MAX_ROW_ID = 2**31 - 1  # the largest id an INTEGER column holds

CYCLE_BY_ID = select(Cycle).where(Cycle.id == bindparam("ref"))
CYCLE_BY_KEY = select(Cycle).where(Cycle.key == bindparam("ref"))


class CycleRow(NamedTuple):
    """A cycle as a fire reads it: a plain row, no ORM object (loading one cost a fire a sixth of its CPU)."""

    id: int
    key: str
    definition_id: str
    definition_version: int
    year: int
    state: str
    status: str
    state_entered_at: dt.datetime
    version: int


CYCLES: Table = Base.metadata.tables["cycles"]
_ROW = select(*(CYCLES.c[name] for name in CycleRow._fields))
ROW_BY_KEY = _ROW.where(CYCLES.c.key == bindparam("ref"))
ROW_BY_ID = _ROW.where(CYCLES.c.id == bindparam("ref"))
ROW_COLUMNS = tuple(CYCLES.c[name] for name in CycleRow._fields)
"""The columns of a `CycleRow`, for a query that reads the cycle along with something else."""


def _by_id(ref: str | int) -> int | None:
    """The id a reference gives, or None for a key."""
    return int(ref) if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()) else None


def _not_found(session: Session, ref: str | int) -> NotFound:
    keys = list(session.scalars(select(Cycle.key)))
    return NotFound(f"there is no cycle '{ref}'{suggest(str(ref), keys)}")


def find_cycle(session: Session, ref: str | int) -> Cycle:
    """The cycle by key or id, or NotFound with the nearest key."""
    number = _by_id(ref)
    if number is not None:
        # An id too large for the column is simply not there (and never reaches the driver).
        found = session.scalars(CYCLE_BY_ID, {"ref": number}).one_or_none() if number <= MAX_ROW_ID else None
    else:
        found = session.scalars(CYCLE_BY_KEY, {"ref": ref}).one_or_none()
    if found is None:
        raise _not_found(session, ref)
    return found


def cycle_row(session: Session, ref: str | int | CycleRow) -> CycleRow:
    """`find_cycle` as a plain row, read in the session's transaction (a `Cycle` it holds is not consulted);
    a row the transaction has read already (`fire_seated`) is not read again."""
    if isinstance(ref, CycleRow):
        return ref
    number = _by_id(ref)
    if number is not None:
        found = (session.connection().execute(ROW_BY_ID, {"ref": number}).first()
                 if number <= MAX_ROW_ID else None)
    else:
        found = session.connection().execute(ROW_BY_KEY, {"ref": ref}).first()
    if found is None:
        raise _not_found(session, ref)
    return CycleRow(*found)


def definition_of(store: Store, session: Session, cycle: CycleRecord) -> Definition:
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


def ensure_active(cycle: CycleRecord) -> None:
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
