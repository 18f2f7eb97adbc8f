"""Start a cycle of a definition (for a year, or a case with its reference), and enter a stage (which a fire does too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.commands import case_fields, references
from workflow.commands.cycles import (
    require,
)
from workflow.commands.results import Fired
from workflow.commands.rows import (
    INSERT_HISTORY,
    INSERT_OUTBOX,
    INSERT_STRANDS,
    STRANDS,
    event_row,
    history_row,
)
from workflow.definition.calendar import Timeline
from workflow.definition.model import ENTERED, FIRED, Definition, milestone_key
from workflow.definition.planning import check_plan
from workflow.errors import InvalidInput
from workflow.store.models import Cycle, CycleRecord
from workflow.store.unit import Store
from workflow.time.actuals import known_dates, uses_events
from workflow.time.clock import local_date

STRANDS_OPEN = select(STRANDS.c.strand).where(STRANDS.c.cycle_id == bindparam("cycle_id"),
                                              STRANDS.c.strand.in_(bindparam("strands", expanding=True)))


def start(engine: Store, definition_ref: str | Path, year: int | None, actor: str, *, comment: str | None = None,
          outside_folder: bool = False, reference: str | None = None,
          fields: Mapping[str, object] | None = None) -> Fired:
    """Start a cycle of `definition_ref`: a text is a definition id, only ever the folder's `<id>.yaml`;
    a `Path` is a file the operator named on the command line (`cycle start PATH`), never a web request's."""
    path = engine.catalog.id_file(definition_ref) if isinstance(definition_ref, str) else definition_ref
    definition = engine.catalog.load(str(path))
    if not engine.catalog.in_folder(path):
        check_outside_folder(engine, path, definition, outside_folder)
    require(definition, actor, "start")
    now = engine.clock.now()
    year = references.instance_year(definition, year, now)
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"{year} is not a cycle year this engine can plan for (2000 to 2100)")
    typed = references.given_reference(definition, reference)
    check_plan(definition, year)
    values = case_fields.checked(definition, fields or {}, starting=True)
    key = typed or f"{definition.id}-{year}"
    try:
        with engine.unit_of_work() as session:
            if typed is not None:
                references.check_typed(session, engine.catalog, definition, typed)
            key, reference = references.instance_key(engine, session, definition, year, typed)
            existing = session.scalars(select(Cycle).where(Cycle.key == key)).first()
            if existing is not None:
                raise references.taken(definition, year, key, existing)
            engine.catalog.register(session, definition, now)
            cycle = Cycle(key=key, definition_id=definition.id, definition_version=definition.version,
                          year=year, reference=reference, state=definition.initial, status="active",
                          started_at=now, started_by=actor, state_entered_at=now, updated_at=now)
            session.add(cycle)
            session.flush()
            history = history_row(engine,
                cycle, now, actor, "start", trigger=None, from_state=None, to_state=definition.initial,
                comment=comment, data={"definition_version": definition.version, "checksum": definition.checksum,
                                       **({"reference": reference} if reference else {})})
            rows = [event_row(cycle, now, "CycleStarted", year=year, started_by=actor,
                              **({"reference": reference} if reference else {}))]
            strands = enter(session, cycle, definition, definition.initial, now, from_state=None,
                            events=rows)
            if definition.stages[definition.initial].final:
                cycle.status = "complete"
            connection = session.connection()
            connection.execute(INSERT_HISTORY, history)
            case_fields.record(engine, session, cycle, definition, values, actor, now)
            connection.execute(INSERT_OUTBOX, rows)
            if strands:
                connection.execute(INSERT_STRANDS, strands)
            events = [row["event_type"] for row in rows]
            version = cycle.version
    except IntegrityError:
        raise references.taken(definition, year, key, None) from None
    return Fired(key, "start", "", definition.initial, None, version, events)


def check_outside_folder(engine: Store, path: Path, definition: Definition, acknowledged: bool) -> None:
    """A file from outside the definitions folder: an administrator's deliberate act, never a folder id."""
    owner = engine.catalog.folder_file_for(definition.id)
    if owner is not None:
        raise InvalidInput(
            f"{path} names its definition '{definition.id}', which {owner} in the definitions folder defines; "
            "a file from elsewhere can never start a cycle of a folder definition: change the folder's file "
            "(raising its version) instead")
    if not acknowledged:
        raise InvalidInput(
            f"{path} is outside the definitions folder ({engine.catalog.directory}); starting a cycle from it "
            "is an administrator's act: give --outside-folder if that is what you mean")


def enter(session: Session, cycle: CycleRecord, definition: Definition, stage_id: str, now: dt.datetime,
          *, from_state: str | None, events: list[dict[str, Any]],
          trigger: str | None = None) -> list[dict[str, Any]]:
    """Entering a stage: its events (appended to `events`) and the rows of its strands not yet open.

    The caller writes them, and marks the cycle complete when the stage is final.
    """
    stage = definition.stages[stage_id]
    due = None
    if stage.due is not None:
        # The stage is entered (and the trigger fired) today: dates counted from them start now.
        known = known_dates(session, cycle, definition)
        if uses_events(definition):
            known[milestone_key(stage_id, ENTERED)] = local_date(now)
            if trigger is not None:
                known[milestone_key(trigger, FIRED)] = local_date(now)
        due = Timeline(definition, cycle.year, known).stage_due(stage_id)
    strands: list[dict[str, Any]] = []
    if stage.strands:
        existing = set(session.connection().execute(
            STRANDS_OPEN, {"cycle_id": cycle.id, "strands": [s.id for s in stage.strands]}).scalars())
        strands = [{"cycle_id": cycle.id, "stage": stage_id, "strand": strand.id,
                    "state": definition.lifecycles[strand.lifecycle].initial, "updated_at": now}
                   for strand in stage.strands if strand.id not in existing]
    events.append(event_row(cycle, now, "StageEntered", stage=stage_id, from_stage=from_state,
                            due=due.isoformat() if due else None, strands=[s.id for s in stage.strands]))
    if stage.final:
        events.append(event_row(cycle, now, "CycleCompleted", stage=stage_id))
    return strands
