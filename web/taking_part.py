"""The cycles a person takes part in: every cycle whose definition's directory lists their email.

One rule for the API's `GET /api/v1/cycles` and the Cycles page, each cycle with its due date and working days left;
an instance at a stage whose exempt papers the person may not see is left out, as the register withholds it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflow.definition.calendar import Timeline, working_days_between
from workflow.definition.directory import find_person
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.store.models import Cycle
from workflow.time.actuals import moved_days
from workflow.time.clock import local_date

from .access import KnownCycles


def cycles_taking_part(engine: Engine, cycles: KnownCycles, email: str) -> list[dict[str, Any]]:
    """The engine's list of cycles, kept to those listing `email`, with due, working_days_left and overdue."""
    today = local_date(engine.clock.now())
    with engine.sessions() as session:  # a meeting a committee manager moved dates its stage, as in `status`
        moved = moved_days(session, select(Cycle.id).where(Cycle.status == "active").scalar_subquery())
    found = []
    rows = engine.list_cycles()
    hidden = engine.hidden_cycles([row["id"] for row in rows if row["status"] == "active"],
                                  lambda definition: person_id(definition, email))
    for row in rows:
        key = (row["definition"], row["version"])
        definition = cycles.version(*key)
        if find_person(definition, email) is None or row["id"] in hidden:
            continue  # not theirs; or at a stage whose exempt papers they may not see, as the register withholds
        timeline = Timeline(definition, row["year"], moved.get(row["id"]))
        due = timeline.stage_due(row["stage"]) if row["status"] == "active" else None
        left = working_days_between(today, due) if due else None
        found.append({**row, "due": due, "working_days_left": left, "overdue": left is not None and left < 0})
    return found


def person_id(definition: Definition, email: str) -> str | None:
    found = find_person(definition, email)
    return found.id if found else None
