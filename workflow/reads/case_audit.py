"""`cycle history verify` for case fields: each value held against the history row that last recorded it.

The `case_fields` table is not append-only (values change, retention erases), so, as for a cycle's stage,
its rows are checked against the history: a value that is not personal must equal the one recorded; a
personal one must match the keyed digest recorded, under the salt kept with it; an emptied value must
follow an `erase` row. Nothing here reads or prints a personal value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.store.field_digest import DIGEST, field_digest
from workflow.store.models import CaseFieldValue, Cycle, HistoryEntry

CHANGED = "the case's fields were changed outside the commands"


def field_problems(session: Session, cycle: Cycle) -> list[str]:
    recorded: dict[str, tuple[int, Any]] = {}  # field -> (the row that last set it, what it recorded)
    erased: dict[str, int] = {}
    rows = session.execute(select(HistoryEntry.id, HistoryEntry.action, HistoryEntry.data)
                           .where(HistoryEntry.cycle_id == cycle.id, HistoryEntry.action.in_(("fields", "erase")))
                           .order_by(HistoryEntry.id)).all()
    for row_id, action, data in rows:
        if action == "fields":
            recorded.update({name: (row_id, value) for name, value in (data or {}).get("fields", {}).items()})
        else:
            erased.update(dict.fromkeys((data or {}).get("erased", []), row_id))
    problems = []
    values = {v.name: v for v in session.scalars(select(CaseFieldValue).where(CaseFieldValue.cycle_id == cycle.id))}
    for name, value in sorted(values.items()):
        found = recorded.get(name)
        if found is None:
            problems.append(f"field '{name}' has a value that no history row recorded: {CHANGED}")
            continue
        row_id, kept = found
        if value.value is None:
            if erased.get(name, 0) < row_id:
                problems.append(f"field '{name}' is empty, but no erase row follows history row {row_id}, which "
                                f"recorded it: {CHANGED}")
            continue
        same = kept == value.value if isinstance(kept, str) else (
            isinstance(kept, dict) and value.salt is not None
            and kept.get(DIGEST) == field_digest(value.salt, name, value.value))
        if not same:
            problems.append(f"field '{name}' was changed after history row {row_id} recorded it: {CHANGED}")
    for name in sorted(set(recorded) - set(values)):
        problems.append(f"field '{name}', recorded in history row {recorded[name][0]}, is missing from the "
                        f"case_fields table: it was removed")
    return problems
