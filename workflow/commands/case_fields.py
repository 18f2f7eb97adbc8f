"""Set a case's fields (at start, or later with the `fields` permission); retention erases personal ones.

Each change is a history row (action `fields`): a value that is not personal is recorded as it is; a personal
one only as its keyed digest (`workflow/store/field_digest.py`), so the audit trail never holds personal data
and erasing it later leaves every history row, hash and seal as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from workflow.commands.cycles import acting, definition_of, find_cycle
from workflow.commands.rows import INSERT_HISTORY, history_row
from workflow.definition.case_fields import FIELDS_PERMISSION, START, check_values, missing
from workflow.definition.model import Definition
from workflow.errors import FieldValuesInvalid, InvalidInput
from workflow.store.field_digest import DIGEST, field_digest, new_salt
from workflow.store.models import CaseFieldValue, Cycle
from workflow.store.unit import Store

SET = "fields"
ERASE = "erase"


def checked(definition: Definition, given: Mapping[str, object], *, starting: bool = False) -> dict[str, str]:
    """The values to store, or FieldValuesInvalid naming every problem; at start, the fields required then too."""
    values, problems = check_values(definition.fields, given)
    if starting:
        for spec in missing(definition.fields, values, START):
            if spec.id not in problems:
                problems[spec.id] = f"Enter {spec.title.lower()}: it is needed to start"
    if problems:
        raise FieldValuesInvalid(problems)
    return values


def values_of(session: Session, cycle_id: int) -> dict[str, CaseFieldValue]:
    rows = session.scalars(select(CaseFieldValue).where(CaseFieldValue.cycle_id == cycle_id)).all()
    return {row.name: row for row in rows}


def current(session: Session, cycle_id: int) -> dict[str, str]:
    """The fields with a value, as gates and templates read them."""
    return {name: row.value for name, row in values_of(session, cycle_id).items() if row.value}


def record(store: Store, session: Session, cycle: Cycle, definition: Definition, values: Mapping[str, str],
           actor: str, now: dt.datetime, comment: str | None = None) -> list[str]:
    """Write the values and their history row in the caller's transaction; the names of those that changed."""
    rows = values_of(session, cycle.id)
    recorded: dict[str, Any] = {}
    for name, value in values.items():
        spec = definition.fields[name]
        row = rows.get(name)
        if row is not None and row.value == value:
            continue
        if row is None:
            row = CaseFieldValue(cycle_id=cycle.id, name=name, personal=spec.personal, set_at=now, set_by=actor)
            session.add(row)
        row.value, row.personal, row.set_at, row.set_by, row.erased_at = value, spec.personal, now, actor, None
        if spec.personal:
            row.salt = row.salt or new_salt()
            recorded[name] = {DIGEST: field_digest(row.salt, name, value)}
        else:
            recorded[name] = value
    if recorded:
        session.flush()
        history = history_row(store, cycle, now, actor, SET, trigger=None, from_state=None, to_state=None,
                              comment=comment, data={"fields": recorded})
        session.connection().execute(INSERT_HISTORY, history)
    return list(recorded)


def set_fields(store: Store, cycle_ref: str | int, given: Mapping[str, object], actor: str, *,
               comment: str | None = None) -> list[str]:
    """`cycle fields set`: check every value (all problems at once), then record those that changed."""
    now = store.clock.now()
    with store.unit_of_work() as session:
        cycle, definition = acting(store, session, cycle_ref, actor, fields_command(store, session, cycle_ref))
        if not given:
            raise InvalidInput("give at least one field as name=value")
        values = checked(definition, given)
        changed = record(store, session, cycle, definition, values, actor, now, comment)
        if changed:
            # Bumps the cycle's version (even when the clock reads the same moment as the last command's):
            # concurrent commands serialise, and lists kept between requests see the change.
            cycle.updated_at = now
            flag_modified(cycle, "updated_at")
        return changed


def fields_command(store: Store, session: Session, cycle_ref: str | int) -> str:
    """The permission setting fields needs: `fields` where the definition grants it, else `start`."""
    definition = definition_of(store, session, find_cycle(session, cycle_ref))
    return FIELDS_PERMISSION if FIELDS_PERMISSION in definition.permissions else START
