"""Moving a running cycle to a corrected version of its definition (`cycle migrate`).

A cycle stays on the version it started with until an admin moves it: a person
holding a role that `permissions.migrate` names, in the version it runs on and
in the version it moves to. Stages the new version renames or removes are
mapped by the admin (`--map old=new`); whatever cannot be mapped refuses the
move with a sentence, and nothing is written. The move itself is one
transaction: the cycle's version and stage, a new history row (the history is
never edited), the pending deadlines of the old plan cancelled, and a
StageEntered event that re-plans deadlines and reminders on the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.commands import migration_changes as changes
from workflow.commands.cycles import find_cycle
from workflow.definition.calendar import Timeline
from workflow.definition.loader import suggest
from workflow.definition.model import ENTERED, Definition, milestone_key
from workflow.errors import (
    CycleError,
    InvalidInput,
    Refused,
    RoleMissing,
    UnknownActor,
    UnknownDefinition,
)
from workflow.store.models import (
    Cycle,
    Deadline,
    DefinitionSnapshot,
    HistoryEntry,
    OutboxEvent,
    StrandState,
)
from workflow.store.unit import Store, cycle_for_writing
from workflow.time.actuals import known_dates, timeline_of
from workflow.time.clock import local_date

COMMAND = "migrate"


class CannotMove(Refused):
    """The running cycle cannot be mapped onto the new version as asked."""


@dataclass
class Upgrade:
    """What moving a cycle to another version changes; a dry run shows it, a real run records it."""

    cycle: str
    definition: str
    from_version: int
    to_version: int
    from_stage: str
    to_stage: str
    renamed: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    boards: list[str] = field(default_factory=list)
    deadlines: list[dict[str, str | None]] = field(default_factory=list)
    done: bool = False
    # The same changes with the definitions' titles, as a page shows them: stages, people, boards, deadlines.
    from_title: str = ""
    to_title: str = ""
    in_words: dict[str, list[str]] = field(default_factory=dict)


def require_migrator(definition: Definition, actor: str) -> None:
    """Refuse (RoleMissing) unless `actor` holds a role `permissions.migrate` names in this version."""
    allowed = definition.permissions.get(COMMAND, ())
    if not allowed:
        raise RoleMissing(f"version {definition.version} of the {definition.title} names no role that may move "
                          "cycles: add 'migrate: [<role>]' under its permissions")
    if actor not in definition.people:
        raise UnknownActor(f"'{actor}' is not in the directory of version {definition.version} of '{definition.id}'"
                           f"{suggest(actor, definition.people)}")
    person = definition.people[actor]
    who, held = person.name or person.title, person.roles
    if not set(allowed) & set(held):
        raise RoleMissing(f"{who} cannot move cycles of the {definition.title} (version {definition.version}) to "
                          f"another version: that needs one of the roles {', '.join(allowed)}, and {who} holds "
                          f"{', '.join(held) or 'none'}")


@dataclass(frozen=True)
class Version:
    """A version of a cycle's definition it could move to: stored in the database, or the folder's file."""

    version: int
    title: str
    description: str
    stored: bool
    stages: dict[str, str]  # the stages a running cycle can be at, by id: their titles


def _running(definition: Definition) -> dict[str, str]:
    return {s.id: s.title for s in definition.stages.values() if not s.final}


def versions(engine: Store, cycle_ref: str | int) -> list[Version]:
    """The other versions of the cycle's definition: those stored (a cycle ran on them) and the folder's."""
    with engine.sessions() as session:
        cycle = find_cycle(session, cycle_ref)
        found: dict[int, Version] = {}
        for row in session.scalars(select(DefinitionSnapshot).where(DefinitionSnapshot.id == cycle.definition_id)):
            if row.version != cycle.definition_version:
                known = engine.catalog.snapshot(session, row.id, row.version)
                found[row.version] = Version(row.version, known.title, known.description, True, _running(known))
    try:
        folder = engine.catalog.load(cycle.definition_id)
    except CycleError:
        folder = None  # no file for it in the folder, or one that does not load: only stored versions
    if folder is not None and folder.version != cycle.definition_version and folder.version not in found:
        found[folder.version] = Version(folder.version, folder.title, folder.description, False, _running(folder))
    return [found[v] for v in sorted(found)]


def _target(engine: Store, session: Session, current: Definition, version: int) -> Definition:
    try:
        return engine.catalog.snapshot(session, current.id, version)
    except UnknownDefinition:
        pass
    found = engine.catalog.load(current.id)
    if found.version != version:
        raise InvalidInput(f"there is no version {version} of '{current.id}': the definitions folder has version "
                           f"{found.version} and this database knows versions up to {current.version}")
    return found


def plan(engine: Store, session: Session, cycle: Cycle, to_version: int, actor: str,
         mapping: dict[str, str]) -> tuple[Upgrade, Definition]:
    """Work out the move, or refuse it with a sentence; reads only."""
    current = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
    require_migrator(current, actor)
    if cycle.status != "active":
        raise CannotMove(f"cycle {cycle.key} is complete; only a running cycle is moved to a new version")
    if to_version == current.version:
        raise InvalidInput(f"cycle {cycle.key} already runs on version {to_version} of '{current.id}'")
    target = _target(engine, session, current, to_version)
    require_migrator(target, actor)
    for old, new in mapping.items():
        if old not in current.stages:
            raise InvalidInput(f"--map {old}={new}: version {current.version} has no stage '{old}'"
                               f"{suggest(old, current.stages)}")
        if new not in target.stages:
            raise InvalidInput(f"--map {old}={new}: version {to_version} has no stage '{new}'"
                               f"{suggest(new, target.stages)}")
    mapped = {s: mapping.get(s, s if s in target.stages else None) for s in current.stages}
    people, boards = changes.people(current, target), changes.boards(current, target)
    move = Upgrade(cycle.key, current.id, current.version, to_version, cycle.state, mapped[cycle.state] or "",
                   renamed={a: b for a, b in mapped.items() if b is not None and a != b},
                   removed=sorted(s for s, b in mapped.items() if b is None),
                   added=sorted(set(target.stages) - {b for b in mapped.values() if b}),
                   people=[ids for ids, _ in people], boards=[ids for ids, _ in boards])
    if not move.to_stage:
        raise CannotMove(f"cycle {cycle.key} is at '{cycle.state}', which version {to_version} removes: say where "
                         f"it goes with --map {cycle.state}=<stage> (version {to_version} has "
                         f"{', '.join(target.stages)}); nothing was changed")
    if target.stages[move.to_stage].final:
        raise CannotMove(f"'{move.to_stage}' is a final stage of version {to_version}: moving there would end the "
                         "cycle; map the current stage to one that is still running")
    stage = target.stages[move.to_stage]
    for row in session.scalars(select(StrandState).where(StrandState.cycle_id == cycle.id,
                                                          StrandState.stage == cycle.state)):
        spec = stage.strand(row.strand)
        if spec is None:
            raise CannotMove(f"strand '{row.strand}' of '{cycle.state}' is not a strand of '{move.to_stage}' in "
                             f"version {to_version}; keep it there so its progress is not lost")
        if row.state not in target.lifecycles[spec.lifecycle].states:
            raise CannotMove(f"strand '{row.strand}' is at '{row.state}', which its lifecycle in version "
                             f"{to_version} does not have")
    before = changes.planned(current, cycle.state, timeline_of(session, cycle, current))
    # The stage keeps the day it was entered under its new name.
    known = {**known_dates(session, cycle, target), milestone_key(move.to_stage, ENTERED): local_date(cycle.state_entered_at)}
    after = changes.planned(target, move.to_stage, Timeline(target, cycle.year, known))
    replanned = changes.deadlines(before, after)
    move.deadlines = [row for row, _ in replanned]
    move.from_title, move.to_title = current.stages[cycle.state].title, target.stages[move.to_stage].title
    move.in_words = {
        "stages": [*(f"‘{current.stages[a].title}’ becomes ‘{target.stages[b].title}’" for a, b in move.renamed.items()),
                   *(f"‘{current.stages[s].title}’ is removed" for s in move.removed),
                   *(f"‘{target.stages[s].title}’ is added" for s in move.added)],
        "people": [words for _, words in people], "boards": [words for _, words in boards],
        "deadlines": [words for _, words in replanned]}
    return move, target


def migrate(engine: Store, cycle_ref: str, to_version: int, actor: str, *, mapping: dict[str, str] | None = None,
            dry_run: bool = False, comment: str | None = None) -> Upgrade:
    """Move a running cycle to another version of its definition (or, with `dry_run`, say what would change)."""
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        # The cycle's row before its deadlines (below), as a fire and the StageEntered planners lock them.
        cycle = find_cycle(session, cycle_ref)
        cycle_for_writing(session, cycle.id)  # read again, locked, into the same object
        move, target = plan(engine, session, cycle, to_version, actor, mapping or {})
        if dry_run:
            return move  # nothing was added to the session: the transaction ends with nothing written
        engine.catalog.register(session, target, now)
        session.execute(update(Deadline).where(Deadline.cycle_id == cycle.id, Deadline.status == "pending")
                        .values(status="cancelled", done_at=now,
                                last_error=f"the cycle moved to version {to_version}; re-planned"))
        existing = set(session.scalars(select(StrandState.strand).where(StrandState.cycle_id == cycle.id)))
        stage = target.stages[move.to_stage]
        session.execute(update(StrandState).where(StrandState.cycle_id == cycle.id,
                                                  StrandState.stage == move.from_stage).values(stage=move.to_stage))
        for strand in stage.strands:
            if strand.id not in existing:
                session.add(StrandState(cycle_id=cycle.id, stage=move.to_stage, strand=strand.id,
                                        state=target.lifecycles[strand.lifecycle].initial, updated_at=now))
        cycle.definition_version, cycle.state, cycle.updated_at = to_version, move.to_stage, now
        summary: dict[str, Any] = {
            "from_version": move.from_version, "to_version": to_version, "renamed": move.renamed,
            "removed": move.removed, "added": move.added, "people": move.people, "boards": move.boards,
            "deadlines": move.deadlines}
        session.add(HistoryEntry(cycle_id=cycle.id, at=now, actor=actor, action=COMMAND, trigger=None, strand=None,
                                 from_state=move.from_stage, to_state=move.to_stage, comment=comment, data=summary))
        session.flush()
        due = timeline_of(session, cycle, target).stage_due(move.to_stage)
        base = {"cycle_id": cycle.id, "cycle": cycle.key, "definition": cycle.definition_id,
                "definition_version": to_version, "at": now.isoformat()}
        session.add(OutboxEvent(cycle_id=cycle.id, event_type="CycleMigrated", created_at=now,
                                payload={**base, **summary, "actor": actor}))
        # Planned again as if just entered: the handlers make the new version's deadlines and reminders.
        session.add(OutboxEvent(cycle_id=cycle.id, event_type="StageEntered", created_at=now, payload={
            **base, "stage": move.to_stage, "from_stage": move.from_stage, "due": due.isoformat() if due else None,
            "strands": [s.id for s in stage.strands], "migrated": True}))
        move.done = True
        return move
