"""Which year and reference a new instance takes: the rules of `instances:` for `start`.

A yearly definition's cycle is keyed `<definition>-<year>`; a case's key is its reference,
typed by the starter or numbered by the database (`DHR-{year}-{seq:03}`). The number is taken
with one atomic upsert on instance_sequences, so two starts at once wait for each other's row
(PostgreSQL's row lock; SQLite's write lock, which every command takes up front) and never get
the same number; a start that fails rolls its number back with it. A number whose reference is
already a key (a case typed it before typed references were checked) is passed over.

Keys share one namespace, so a typed reference may not have the form another definition's
references or yearly keys take: it would take that definition's next key from it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.definition.formatting import table_date
from workflow.definition.instances import (
    Instances,
    could_make,
    format_reference,
    reference_problem,
    yearly_key_of,
)
from workflow.definition.model import Definition
from workflow.errors import CycleError, InvalidInput
from workflow.store.catalog import Catalog
from workflow.store.models import Cycle, DefinitionSnapshot, InstanceSequence
from workflow.store.unit import Store
from workflow.time.clock import local_date

SEQUENCES = InstanceSequence.__table__
MAX_PASSED_OVER = 1000
"""How many numbers in use a numbered start passes over before it stops, saying so."""


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


def instance_key(store: Store, session: Session, definition: Definition, year: int, typed: str | None) -> tuple[str, str | None]:
    """The new instance's key and reference (None for a yearly cycle), numbering a case if the definition does."""
    instances = definition.instances
    if not instances.cases:
        return f"{definition.id}-{year}", None
    if typed is not None:
        return typed, typed
    for _ in range(MAX_PASSED_OVER):
        number = _next_number(store, session, definition.id, year if instances.sequence_by_year else 0)
        reference = format_reference(instances.reference or "", year, number)
        if session.scalar(select(Cycle.id).where(Cycle.key == reference)) is None:
            return reference, reference
    raise InvalidInput(f"the next {MAX_PASSED_OVER} references of '{definition.id}' are all in use; nothing was "
                       "started: ask an administrator to look at the cases' references")


def check_typed(session: Session, catalog: Catalog, definition: Definition, typed: str) -> None:
    """Refuse a typed reference in the form another definition's keys take (its numbered references,
    or any definition's yearly `<id>-<year>`), which would take that definition's next key from it."""
    for definition_id, instances in _known_instances(session, catalog, definition):
        if yearly_key_of(definition_id, typed):
            raise InvalidInput(f"'{typed}' has the form of a yearly cycle's key (a definition's id and a year); "
                               "give a reference of another form")
        if definition_id != definition.id and instances.numbered and could_make(instances.reference or "", typed):
            raise InvalidInput(f"'{typed}' has the form of the references another definition numbers itself; "
                               "give a reference of another form")


def _known_instances(session: Session, catalog: Catalog, definition: Definition) -> list[tuple[str, Instances]]:
    """Every definition's id and instances: the folder's files, and the newest stored version of each."""
    known: dict[str, Instances] = {definition.id: definition.instances}
    for path in catalog.files():
        try:
            loaded = catalog.load(str(path))
        except CycleError:
            continue  # a broken file starts nothing, so makes no key
        known.setdefault(loaded.id, loaded.instances)
    newest = (select(DefinitionSnapshot.id, func.max(DefinitionSnapshot.version))
              .group_by(DefinitionSnapshot.id))
    for definition_id, version in session.execute(newest):
        if definition_id not in known:
            known[definition_id] = catalog.snapshot(session, definition_id, version).instances
    return list(known.items())


def _next_number(store: Store, session: Session, definition_id: str, year: int) -> int:
    dialect = postgresql if store.on_postgresql else sqlite
    statement = (dialect.insert(SEQUENCES).values(definition_id=definition_id, year=year, last=1)
                 .on_conflict_do_update(index_elements=["definition_id", "year"],
                                        set_={"last": SEQUENCES.c.last + 1})
                 .returning(SEQUENCES.c.last))
    return int(session.execute(statement).scalar_one())


def taken(definition: Definition, year: int, key: str, existing: Cycle | None) -> InvalidInput:
    """The refusal of a key already in use, naming the instance that has it when it is one of the same
    definition (another definition's case is never named: its starter reads only their own)."""
    if existing is not None and existing.definition_id != definition.id:
        return InvalidInput(f"{key} is already in use; nothing was started"
                            + ("; give another reference" if definition.instances.typed else ""))
    if not definition.instances.cases:
        return InvalidInput(f"a cycle of '{definition.id}' for {year} already exists: {key}")
    if existing is None:
        return InvalidInput(f"the reference {key} is already in use; nothing was started")
    return InvalidInput(
        f"the reference {key} is already in use by {existing.key}, a case of '{existing.definition_id}' started "
        f"on {table_date(local_date(existing.started_at))} by {existing.started_by}; give another reference")
