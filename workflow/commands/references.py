"""Which year and reference a new instance takes: the rules of `instances:` for `start`.

A yearly definition's cycle is keyed `<definition>-<year>`; a case's key is its reference,
typed by the starter or numbered by the database (`DHR-{year}-{seq:03}`). The number is taken
with one atomic upsert on instance_sequences, so two starts at once wait for each other's row
(PostgreSQL's row lock; SQLite's write lock, which every command takes up front) and never get
the same number; a start that fails rolls its number back with it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.definition.formatting import table_date
from workflow.definition.instances import format_reference, reference_problem
from workflow.definition.model import Definition
from workflow.errors import InvalidInput
from workflow.store.models import Cycle, InstanceSequence
from workflow.time.clock import local_date

SEQUENCES = InstanceSequence.__table__


def instance_year(definition: Definition, year: int | None, now: dt.datetime) -> int:
    """The year asked for; a case defaults to this year, a yearly cycle must be given one."""
    if year is not None:
        return year
    if definition.instances.cases:
        return local_date(now).year
    raise InvalidInput(f"'{definition.id}' runs one cycle a year: give the year it begins with --year")


def given_reference(definition: Definition, reference: str | None) -> str | None:
    """The starter's reference, checked against what the definition asks for (None: not asked for)."""
    instances = definition.instances
    if instances.typed:
        if reference is None or not reference.strip():
            raise InvalidInput(f"each case of '{definition.id}' is started with its reference: give it with "
                               "--reference (for example --reference DHR-SMK-01)")
        problem = reference_problem(reference.strip())
        if problem:
            raise InvalidInput(problem)
        return reference.strip()
    if reference is not None:
        how = (f"numbers its cases itself ({instances.reference})" if instances.numbered
               else "keys its cycles by their year")
        raise InvalidInput(f"'{definition.id}' {how}: leave out --reference")
    return None


def instance_key(session: Session, definition: Definition, year: int, typed: str | None) -> tuple[str, str | None]:
    """The new instance's key and reference (None for a yearly cycle), numbering a case if the definition does."""
    instances = definition.instances
    if not instances.cases:
        return f"{definition.id}-{year}", None
    if typed is not None:
        return typed, typed
    number = _next_number(session, definition.id, year if instances.sequence_by_year else 0)
    reference = format_reference(instances.reference or "", year, number)
    return reference, reference


def _next_number(session: Session, definition_id: str, year: int) -> int:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(SEQUENCES).values(definition_id=definition_id, year=year, last=1)
                 .on_conflict_do_update(index_elements=["definition_id", "year"],
                                        set_={"last": SEQUENCES.c.last + 1})
                 .returning(SEQUENCES.c.last))
    return int(session.execute(statement).scalar_one())


def taken(definition: Definition, year: int, key: str, existing: Cycle | None) -> InvalidInput:
    """The refusal of a key already in use, naming the instance that has it."""
    if not definition.instances.cases:
        return InvalidInput(f"a cycle of '{definition.id}' for {year} already exists: {key}")
    if existing is None:
        return InvalidInput(f"the reference {key} is already in use; nothing was started")
    return InvalidInput(
        f"the reference {key} is already in use by {existing.key}, a case of '{existing.definition_id}' started "
        f"on {table_date(local_date(existing.started_at))} by {existing.started_by}; give another reference")
