"""The engine's commands: start, fire, decide, attach, and the read side.

Each command is one database transaction: it loads the cycle, checks the
actor's role and the gates, and writes the new state (with an optimistic
version check), an append-only history row and the domain events into the
outbox. A refused command raises before anything is written.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from workflow.commands.decision_rules import (
    RESCINDED,
    attendance,
    check_target,
    outcome_of,
    quorum_for,
    refuse_second,
    scheduled_meeting,
    superseded,
)
from workflow.definition import gates as gate_rules
from workflow.definition.calendar import Timeline, working_days_between
from workflow.definition.entitlement import may_see_paper
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.loader import suggest
from workflow.definition.machine import FireContext, MachineCache
from workflow.definition.model import (
    ENTERED,
    FIRED,
    SYSTEM_ROLE,
    DecisionGate,
    Definition,
    Gate,
    NotBeforeGate,
    PapersGate,
    StrandsGate,
    Transition,
    milestone_key,
)
from workflow.definition.planning import check_plan
from workflow.errors import (
    ConcurrentChange,
    CycleFinished,
    GateNotMet,
    InvalidInput,
    NotFound,
    Refused,
    RoleMissing,
    UnknownActor,
)
from workflow.store import tally
from workflow.store.attachment import MAX_PAPER_BYTES, read_paper, safe_filename
from workflow.store.catalog import Catalog
from workflow.store.db import WRITE_OPTION
from workflow.store.models import (
    Base,
    Cycle,
    Decision,
    HistoryEntry,
    OutboxEvent,
    Paper,
    StrandState,
)
from workflow.store.paper_store import PaperStore
from workflow.time.actuals import known_dates, timeline_of, uses_events
from workflow.time.clock import Clock, local_date

SYSTEM_ACTOR = "system"
MAX_ROW_ID = 2**31 - 1  # the largest id an INTEGER column holds

# The fire path writes with SQLAlchemy Core statements built once (see `Engine._store`): an ORM
# flush of the same rows costs several times the client CPU, and the command never reads them back.
CYCLES: Table = Base.metadata.tables["cycles"]
HISTORY: Table = Base.metadata.tables["history"]
OUTBOX: Table = Base.metadata.tables["outbox"]
STRANDS: Table = Base.metadata.tables["strands"]
DEADLINES: Table = Base.metadata.tables["deadlines"]
# SET takes the columns given at execution; the WHERE is the optimistic version check.
MOVE_CYCLE = update(CYCLES).where(CYCLES.c.id == bindparam("where_id"),
                                  CYCLES.c.version == bindparam("where_version"))
MOVE_STRAND = update(STRANDS).where(STRANDS.c.id == bindparam("where_id"))
CANCEL_DEADLINES = update(DEADLINES).where(DEADLINES.c.cycle_id == bindparam("where_cycle"),
                                           DEADLINES.c.stage == bindparam("where_stage"),
                                           DEADLINES.c.status == "pending")
# inline(): no RETURNING of the new ids, which nothing reads.
INSERT_HISTORY = insert(HISTORY).inline()
INSERT_OUTBOX = insert(OUTBOX).inline()
INSERT_STRANDS = insert(STRANDS).inline()
CYCLE_BY_KEY = select(Cycle).where(Cycle.key == bindparam("ref"))
CYCLE_BY_ID = select(Cycle).where(Cycle.id == bindparam("ref"))
# What the gates read, as plain rows (no ORM objects are made for them).
DECISIONS_OF: Table = Base.metadata.tables["decisions"]
PAPERS_OF: Table = Base.metadata.tables["papers"]
LATEST_DECISIONS = (select(DECISIONS_OF.c.id, DECISIONS_OF.c.board, DECISIONS_OF.c.item, DECISIONS_OF.c.outcome,
                           DECISIONS_OF.c.votes_for, DECISIONS_OF.c.voting_present, DECISIONS_OF.c.details)
                    .where(DECISIONS_OF.c.cycle_id == bindparam("cycle_id")).order_by(DECISIONS_OF.c.id))
PAPERS_ATTACHED = select(PAPERS_OF.c.paper).where(PAPERS_OF.c.cycle_id == bindparam("cycle_id"))
STRANDS_OF = select(STRANDS.c.stage, STRANDS.c.strand, STRANDS.c.state).where(STRANDS.c.cycle_id == bindparam("cycle_id"))
STRANDS_OPEN = select(STRANDS.c.strand).where(STRANDS.c.cycle_id == bindparam("cycle_id"),
                                              STRANDS.c.strand.in_(bindparam("strands", expanding=True)))
STRAND_ROW = select(STRANDS.c.id, STRANDS.c.stage, STRANDS.c.state).where(
    STRANDS.c.cycle_id == bindparam("cycle_id"), STRANDS.c.strand == bindparam("strand"))

HISTORY_COLUMNS = ("at", "actor", "action", "trigger", "strand", "from_state", "to_state", "comment", "data")
OUTBOX_COLUMNS = ("event_type", "payload", "created_at")
STRAND_COLUMNS = ("stage", "strand", "state", "updated_at")
_ONE_STATEMENT: dict[tuple[Any, ...], TextClause] = {}


def one_statement(moved: tuple[str, ...], events: int, strand_move: bool, new_strands: int,
                  cancel: bool) -> TextClause:
    """A command's writes as one PostgreSQL statement, with data-modifying CTEs, for `Engine._store`.

    The cycle's UPDATE carries the version check; every other write reads the row it RETURNS, so a
    lost check writes nothing at all, and the statement returns no row. Built once per shape.
    """
    shape = (moved, events, strand_move, new_strands, cancel)
    found = _ONE_STATEMENT.get(shape)
    if found is not None:
        return found
    binds = [bindparam("where_id", type_=CYCLES.c.id.type), bindparam("where_version", type_=CYCLES.c.version.type),
             bindparam("m_version", type_=CYCLES.c.version.type)]
    binds += [bindparam(f"m_{c}", type_=CYCLES.c[c].type) for c in moved]
    sets = ", ".join(f"{c} = :m_{c}" for c in (*moved, "version"))
    binds += [bindparam(f"h_{c}", type_=HISTORY.c[c].type) for c in HISTORY_COLUMNS]
    rows = []
    for i in range(events):
        binds += [bindparam(f"e{i}_{c}", type_=OUTBOX.c[c].type) for c in OUTBOX_COLUMNS]
        rows.append(f"({i}, " + ", ".join(f":e{i}_{c}" for c in OUTBOX_COLUMNS) + ")")
    sql = [
        f"WITH moved AS (UPDATE cycles SET {sets} WHERE id = :where_id AND version = :where_version RETURNING id)",
        f", history_row AS (INSERT INTO history (cycle_id, {', '.join(HISTORY_COLUMNS)}) "
        f"SELECT moved.id, {', '.join(f':h_{c}' for c in HISTORY_COLUMNS)} FROM moved)",
        # The events' ids follow their order in the command.
        f", outbox_rows AS (INSERT INTO outbox (cycle_id, {', '.join(OUTBOX_COLUMNS)}, attempts) "
        f"SELECT moved.id, {', '.join(f'e.{c}' for c in OUTBOX_COLUMNS)}, 0 FROM moved CROSS JOIN "
        f"(VALUES {', '.join(rows)}) AS e (n, {', '.join(OUTBOX_COLUMNS)}) ORDER BY e.n)",
    ]
    if strand_move:
        binds += [bindparam("s_id", type_=STRANDS.c.id.type), bindparam("s_state", type_=STRANDS.c.state.type),
                  bindparam("s_updated_at", type_=STRANDS.c.updated_at.type)]
        sql.append(", strand_row AS (UPDATE strands SET state = :s_state, updated_at = :s_updated_at "
                   "FROM moved WHERE strands.id = :s_id)")
    if new_strands:
        rows = []
        for i in range(new_strands):
            binds += [bindparam(f"n{i}_{c}", type_=STRANDS.c[c].type) for c in STRAND_COLUMNS]
            rows.append("(" + ", ".join(f":n{i}_{c}" for c in STRAND_COLUMNS) + ")")
        sql.append(f", new_strands AS (INSERT INTO strands (cycle_id, {', '.join(STRAND_COLUMNS)}) "
                   f"SELECT moved.id, {', '.join(f'n.{c}' for c in STRAND_COLUMNS)} FROM moved CROSS JOIN "
                   f"(VALUES {', '.join(rows)}) AS n ({', '.join(STRAND_COLUMNS)}))")
    if cancel:
        binds += [bindparam("d_stage", type_=DEADLINES.c.stage.type),
                  bindparam("d_done_at", type_=DEADLINES.c.done_at.type),
                  bindparam("d_last_error", type_=DEADLINES.c.last_error.type)]
        sql.append(", cancelled AS (UPDATE deadlines SET status = 'cancelled', done_at = :d_done_at, "
                   "last_error = :d_last_error FROM moved WHERE deadlines.cycle_id = moved.id "
                   "AND deadlines.stage = :d_stage AND deadlines.status = 'pending')")
    sql.append(" SELECT id FROM moved")
    return _ONE_STATEMENT.setdefault(shape, text("".join(sql)).bindparams(*binds))

TITLE_MAX = 300  # papers.title's length

CONCURRENT_CHANGE = ("the cycle changed while your command was running (someone else acted on it at the same "
                     "moment); nothing was written: check 'cycle status' and try again")

SCHEDULE_12A = {
    1: "Information relating to any individual",
    2: "Information which is likely to reveal the identity of an individual",
    3: "Information relating to the financial or business affairs of any particular person "
       "(including the authority holding that information)",
    4: "Information relating to any consultations or negotiations, or contemplated consultations or "
       "negotiations, in connection with any labour relations matter",
    5: "Information in respect of which a claim to legal professional privilege could be maintained "
       "in legal proceedings",
    6: "Information which reveals that the authority proposes to give a notice or make an order or direction",
    7: "Information relating to any action taken or to be taken in connection with the prevention, "
       "investigation or prosecution of crime",
}


@dataclass(frozen=True)
class Fired:
    cycle: str
    trigger: str
    from_state: str
    to_state: str
    strand: str | None
    version: int
    events: list[str]


@dataclass(frozen=True)
class Recorded:
    cycle: str
    board: str
    item: str
    outcome: str
    votes_for: int
    votes_against: int
    abstentions: int
    voting_present: int
    quorum: int
    decision_id: int = 0
    supersedes: int | None = None


@dataclass(frozen=True)
class Attached:
    cycle: str
    paper: str
    title: str
    sha256: str
    size: int
    exempt: bool


@dataclass
class Action:
    """Something that can be done from the current stage, and what stands in its way."""

    trigger: str
    title: str
    dest: str
    roles: list[str]
    people: list[str]
    blocked_by: list[str]
    at: str | None = None


@dataclass
class Status:
    cycle: str
    definition: str
    version: int
    year: int
    stage: str
    stage_title: str
    status: str
    owner: str | None
    board: str | None
    due: str | None
    working_days_left: int | None
    actions: list[Action]
    strands: list[dict[str, Any]]
    papers: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    upcoming: list[dict[str, Any]] = field(default_factory=list)


class Engine:
    def __init__(
        self, *, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock, papers: PaperStore,
        machines: MachineCache | None = None, max_paper_bytes: int = MAX_PAPER_BYTES,
    ) -> None:
        self.sessions = sessions
        self.max_paper_bytes = max_paper_bytes
        self.catalog = catalog
        self.clock = clock
        self.papers = papers
        self.machines = machines or MachineCache()
        # The operating-system account running the command line, kept in each history row it writes.
        self.operator: str | None = None

    # -- plumbing ---------------------------------------------------------------

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction; a lost optimistic check becomes a sentence for the user."""
        session = self.sessions()
        try:
            with session.begin():
                session.connection(execution_options={WRITE_OPTION: True})
                yield session
        except StaleDataError:
            raise ConcurrentChange(CONCURRENT_CHANGE) from None
        except OperationalError as exc:
            if "locked" in str(exc).lower():
                raise ConcurrentChange("the database was busy with another command; nothing was written: "
                                       "try again") from None
            raise
        finally:
            session.close()

    def find_cycle(self, session: Session, ref: str | int) -> Cycle:
        """The cycle by key or id, or NotFound with the nearest key."""
        return self._cycle(session, ref)

    def _cycle(self, session: Session, ref: str | int, *, lock: bool = False) -> Cycle:
        if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
            # An id too large for the column is simply not there (and never reaches the driver).
            number = int(ref)
            found = session.scalars(CYCLE_BY_ID, {"ref": number}).one_or_none() if number <= MAX_ROW_ID else None
        else:
            found = session.scalars(CYCLE_BY_KEY, {"ref": ref}).one_or_none()
        if found is None:
            keys = list(session.scalars(select(Cycle.key)))
            raise NotFound(f"there is no cycle '{ref}'{suggest(str(ref), keys)}")
        return found

    def cycle_id(self, session: Session, ref: str | int) -> int:
        """The id of the cycle a user named (by key or id); NotFound otherwise."""
        return self._cycle(session, ref).id

    def _definition(self, session: Session, cycle: Cycle) -> Definition:
        return self.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)

    @staticmethod
    def _roles(definition: Definition, actor: str) -> tuple[str, ...]:
        if actor == SYSTEM_ACTOR:
            return (SYSTEM_ROLE,)
        if actor not in definition.people:
            raise UnknownActor(
                f"'{actor}' is not in the directory of '{definition.id}'{suggest(actor, definition.people)}; "
                "give --as one of the people the definition lists"
            )
        return definition.people[actor].roles

    def _require(self, definition: Definition, actor: str, command: str) -> None:
        allowed = definition.permissions.get(command, ())
        held = self._roles(definition, actor)
        if not set(allowed) & set(held):
            raise RoleMissing(
                f"{actor} cannot {command} on '{definition.id}': that needs one of the roles "
                f"{', '.join(allowed) or '(none defined)'}, and {actor} holds {', '.join(held) or 'none'}"
            )

    def definition_of(self, cycle_ref: str | int) -> tuple[Cycle, Definition]:
        """The cycle and the definition version it runs on; NotFound when there is no such cycle."""
        with self.sessions() as session:
            cycle = self._cycle(session, cycle_ref)
            return cycle, self._definition(session, cycle)

    def roles_of(self, definition: Definition, actor: str) -> tuple[str, ...]:
        """The roles `actor` holds in the definition's directory, as every command checks them."""
        return self._roles(definition, actor)

    def require(self, definition: Definition, actor: str, command: str) -> None:
        """Refuse (RoleMissing) unless `actor` holds a role the definition grants `command` to."""
        self._require(definition, actor, command)

    def acting(self, session: Session, cycle_ref: str | int, actor: str, command: str) -> tuple[Cycle, Definition]:
        """The running cycle and its definition version, once `actor` is shown to hold a role for `command`."""
        cycle = self._cycle(session, cycle_ref)
        definition = self._definition(session, cycle)
        self._require(definition, actor, command)
        self._active(cycle)
        return cycle, definition

    @staticmethod
    def _active(cycle: Cycle) -> None:
        if cycle.status != "active":
            raise CycleFinished(f"cycle {cycle.key} is complete (it ended at '{cycle.state}'); nothing more "
                                "can change it")

    def _history(self, session: Session, cycle: Cycle, now: dt.datetime, actor: str, action: str, **kw: Any) -> None:
        session.add(HistoryEntry(cycle_id=cycle.id, at=now, actor=actor, action=action,
                                 data=self._with_operator(kw.pop("data", None) or {}), **kw))

    def _with_operator(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "os_account": self.operator} if self.operator else data

    def _event(self, session: Session, cycle: Cycle, now: dt.datetime, event_type: str, **payload: Any) -> str:
        body = {"cycle_id": cycle.id, "cycle": cycle.key, "definition": cycle.definition_id,
                "definition_version": cycle.definition_version, "at": now.isoformat(), **payload}
        session.add(OutboxEvent(cycle_id=cycle.id, event_type=event_type, payload=body, created_at=now))
        return event_type

    @staticmethod
    def _event_row(cycle: Cycle, now: dt.datetime, event_type: str, **payload: Any) -> dict[str, Any]:
        """An outbox row, as `_event` adds it, for `_store` (or `start`) to insert."""
        body = {"cycle_id": cycle.id, "cycle": cycle.key, "definition": cycle.definition_id,
                "definition_version": cycle.definition_version, "at": now.isoformat(), **payload}
        return {"cycle_id": cycle.id, "event_type": event_type, "payload": body, "created_at": now}

    def _history_row(self, cycle: Cycle, now: dt.datetime, actor: str, action: str, *, trigger: str | None,
                     from_state: str | None, to_state: str | None, comment: str | None, data: dict[str, Any],
                     strand: str | None = None) -> dict[str, Any]:
        return {"cycle_id": cycle.id, "at": now, "actor": actor, "action": action, "trigger": trigger,
                "strand": strand, "from_state": from_state, "to_state": to_state, "comment": comment,
                "data": self._with_operator(data)}

    @staticmethod
    def _store(session: Session, cycle: Cycle, moved: dict[str, Any], history: dict[str, Any],
               events: list[dict[str, Any]], *, strand_move: dict[str, Any] | None = None,
               new_strands: list[dict[str, Any]] = (),  # type: ignore[assignment]
               cancel: dict[str, Any] | None = None) -> list[str]:
        """Write a fire: the cycle's UPDATE under its optimistic version check, then the history row,
        the outbox rows (in order), the strand row moved or the strand rows opened, and the deadlines
        cancelled; returns the event types.

        The UPDATE always bumps the version, so every command on a cycle (stage moves and strand
        fires alike) serialises against the others. A lost check raises StaleDataError with nothing
        written, which `unit_of_work` reports as ConcurrentChange; the loaded `cycle` follows the row.
        On PostgreSQL it all goes in one statement (`one_statement`), elsewhere one per table.
        """
        connection = session.connection()
        version = cycle.version
        try:
            if connection.dialect.name == "postgresql":
                params = {"where_id": cycle.id, "where_version": version, "m_version": version + 1}
                params.update({f"m_{c}": v for c, v in moved.items()})
                params.update({f"h_{c}": history[c] for c in HISTORY_COLUMNS})
                for i, event in enumerate(events):
                    params.update({f"e{i}_{c}": event[c] for c in OUTBOX_COLUMNS})
                if strand_move is not None:
                    params.update({f"s_{c}": v for c, v in strand_move.items()})
                for i, row in enumerate(new_strands):
                    params.update({f"n{i}_{c}": row[c] for c in STRAND_COLUMNS})
                if cancel is not None:
                    params.update({f"d_{c}": v for c, v in cancel.items()})
                statement = one_statement(tuple(moved), len(events), strand_move is not None, len(new_strands),
                                          cancel is not None)
                if connection.execute(statement, params).first() is None:
                    raise StaleDataError(CONCURRENT_CHANGE)
            else:
                result = connection.execute(
                    MOVE_CYCLE, {"where_id": cycle.id, "where_version": version, "version": version + 1, **moved})
                if result.rowcount != 1:
                    raise StaleDataError(CONCURRENT_CHANGE)
                if strand_move is not None:
                    connection.execute(MOVE_STRAND, {"where_id": strand_move["id"], "state": strand_move["state"],
                                                     "updated_at": strand_move["updated_at"]})
                connection.execute(INSERT_HISTORY, history)
                connection.execute(INSERT_OUTBOX, events)
                if new_strands:
                    connection.execute(INSERT_STRANDS, new_strands)
                if cancel is not None:
                    connection.execute(CANCEL_DEADLINES, {
                        "where_cycle": cycle.id, "where_stage": cancel["stage"], "status": "cancelled",
                        "done_at": cancel["done_at"], "last_error": cancel["last_error"]})
        except BaseException:
            session.expire(cycle)  # whatever the caller does with the transaction, the row is reloaded
            raise
        for name, value in moved.items():
            set_committed_value(cycle, name, value)
        set_committed_value(cycle, "version", version + 1)
        return [e["event_type"] for e in events]

    def facts(self, session: Session, cycle: Cycle, definition: Definition, now: dt.datetime,
              gates: Iterable[Gate] | None = None) -> Facts:
        """What the gates read: every fact, or only the kinds that `gates` need (no query for none)."""
        kinds = None if gates is None else {type(g) for g in gates}
        decisions: dict[tuple[str, str], DecisionFact] = {}
        of_cycle = {"cycle_id": cycle.id}
        if kinds is None or DecisionGate in kinds:
            # In id order, so each (board, item) keeps its latest decision that nothing amended or rescinded.
            rows = session.connection().execute(LATEST_DECISIONS, of_cycle).all()
            gone = superseded(row[6] for row in rows)
            decisions = {(board, item): DecisionFact(outcome, votes_for, voting_present, decision_id)
                         for decision_id, board, item, outcome, votes_for, voting_present, _ in rows
                         if decision_id not in gone}
        papers: set[str] = set()
        if kinds is None or PapersGate in kinds:
            papers = set(session.connection().execute(PAPERS_ATTACHED, of_cycle).scalars())
        strands: dict[str, tuple[str, str, bool]] = {}
        if kinds is None or StrandsGate in kinds:
            for stage, strand, state in session.connection().execute(STRANDS_OF, of_cycle):
                spec = definition.stages[stage].strand(strand)
                lifecycle = definition.lifecycles[spec.lifecycle] if spec else None
                strands[strand] = (stage, state, bool(lifecycle and state in lifecycle.finals))
        # Only a not-before gate reads dates; what the cycle knows of its own (entries, moved meetings) is a query.
        dated = kinds is None or NotBeforeGate in kinds
        timeline = timeline_of(session, cycle, definition) if dated else Timeline(definition, cycle.year)
        return Facts(today=local_date(now), timeline=timeline, decisions=decisions,
                     papers=papers, strands=strands, entered={cycle.state: local_date(cycle.state_entered_at)})

    @staticmethod
    def _gates_of(transitions: Iterable[Transition]) -> list[Gate]:
        return [g for t in transitions for g in t.gates]

    @staticmethod
    def _may_have_deadlines(definition: Definition, stage_id: str) -> bool:
        """Can a deadline row exist for this stage? (see `deadlines.plan_stage` and the reminders)"""
        stage = definition.stages[stage_id]
        return (stage.due is not None or bool(stage.reminders) or any(s.at for s in stage.strands)
                or any(t.at is not None for t in definition.transitions_from(stage_id)))

    # -- commands -----------------------------------------------------------------

    def start(self, definition_ref: str, year: int, actor: str, *, comment: str | None = None,
              outside_folder: bool = False) -> Fired:
        path = self.catalog.resolve_file(definition_ref)
        definition = self.catalog.load(str(path))
        if not self.catalog.in_folder(path):
            self._outside_folder(path, definition, outside_folder)
        self._require(definition, actor, "start")
        if not 2000 <= year <= 2100:
            raise InvalidInput(f"{year} is not a cycle year this engine can plan for (2000 to 2100)")
        check_plan(definition, year)
        key = f"{definition.id}-{year}"
        now = self.clock.now()
        try:
            with self.unit_of_work() as session:
                if session.scalars(select(Cycle).where(Cycle.key == key)).first() is not None:
                    raise InvalidInput(f"a cycle of '{definition.id}' for {year} already exists: {key}")
                self.catalog.register(session, definition, now)
                cycle = Cycle(key=key, definition_id=definition.id, definition_version=definition.version,
                              year=year, state=definition.initial, status="active", started_at=now,
                              started_by=actor, state_entered_at=now, updated_at=now)
                session.add(cycle)
                session.flush()
                history = self._history_row(
                    cycle, now, actor, "start", trigger=None, from_state=None, to_state=definition.initial,
                    comment=comment, data={"definition_version": definition.version, "checksum": definition.checksum})
                rows = [self._event_row(cycle, now, "CycleStarted", year=year, started_by=actor)]
                strands = self._enter(session, cycle, definition, definition.initial, now, from_state=None,
                                      events=rows)
                if definition.stages[definition.initial].final:
                    cycle.status = "complete"
                connection = session.connection()
                connection.execute(INSERT_HISTORY, history)
                connection.execute(INSERT_OUTBOX, rows)
                if strands:
                    connection.execute(INSERT_STRANDS, strands)
                events = [row["event_type"] for row in rows]
                version = cycle.version
        except IntegrityError:
            raise InvalidInput(f"a cycle of '{definition.id}' for {year} already exists: {key}") from None
        return Fired(key, "start", "", definition.initial, None, version, events)

    def _outside_folder(self, path: Path, definition: Definition, acknowledged: bool) -> None:
        """A file from outside the definitions folder: an administrator's deliberate act, never a folder id."""
        owner = self.catalog.folder_file_for(definition.id)
        if owner is not None:
            raise InvalidInput(
                f"{path} names its definition '{definition.id}', which {owner} in the definitions folder defines; "
                "a file from elsewhere can never start a cycle of a folder definition: change the folder's file "
                "(raising its version) instead")
        if not acknowledged:
            raise InvalidInput(
                f"{path} is outside the definitions folder ({self.catalog.directory}); starting a cycle from it "
                "is an administrator's act: give --outside-folder if that is what you mean")

    def _enter(self, session: Session, cycle: Cycle, definition: Definition, stage_id: str, now: dt.datetime,
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
        events.append(self._event_row(cycle, now, "StageEntered", stage=stage_id, from_stage=from_state,
                                      due=due.isoformat() if due else None, strands=[s.id for s in stage.strands]))
        if stage.final:
            events.append(self._event_row(cycle, now, "CycleCompleted", stage=stage_id))
        return strands

    def fire(self, cycle_ref: str | int, trigger: str, actor: str, *, strand: str | None = None,
             comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
        try:
            if actor == SYSTEM_ACTOR:
                raise RoleMissing("'system' is the scheduler's own identity; act as yourself with --as")
            with self.unit_of_work() as session:
                return self.fire_in(session, cycle_ref, trigger, actor, strand=strand, comment=comment, data=data)
        except (Refused, NotFound) as refused:
            # Counted after the rollback: the cycle's tables keep nothing of a refused fire.
            tally.record_refusal(self, refused)
            raise

    def fire_in(self, session: Session, cycle_ref: str | int, trigger: str, actor: str, *,
                strand: str | None = None, comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
        """`fire` inside a transaction the caller owns (the sweep marks its deadline in the same one)."""
        now = self.clock.now()
        cycle = self._cycle(session, cycle_ref)
        definition = self._definition(session, cycle)
        roles = self._roles(definition, actor)
        self._active(cycle)
        compiled = self.machines.get(definition)
        if strand is not None:
            return self._fire_strand(session, cycle, definition, compiled, strand, trigger, actor, roles, now,
                                     comment, data)
        before = cycle.state
        machine = compiled.cycle
        facts = self.facts(session, cycle, definition, now, self._gates_of(machine.candidates(before, trigger)))
        ctx = FireContext(definition, facts, roles)
        taken = machine.fire(before, trigger, ctx, what=f"cycle {cycle.key}")
        decisions = self._decision_ids(facts, taken)
        recorded = dict(data or {})
        if taken.gates:
            recorded["gates"] = [type(g).__name__ for g in taken.gates]
            recorded["decisions"] = list(decisions)
        history = self._history_row(cycle, now, actor, "fire", trigger=trigger, from_state=before,
                                    to_state=taken.dest, comment=comment, data=recorded)
        rows = []
        if taken.gates:
            rows.append(self._event_row(cycle, now, "GatePassed", trigger=trigger, from_stage=before,
                                        to_stage=taken.dest, documents=list(taken.documents),
                                        decisions=list(decisions), actor=actor))
        strands = self._enter(session, cycle, definition, taken.dest, now, from_state=before, events=rows,
                              trigger=trigger)
        moved: dict[str, Any] = {"state": taken.dest, "state_entered_at": now, "updated_at": now}
        if definition.stages[taken.dest].final:
            moved["status"] = "complete"
        # The deadlines of the stage left (overdue, timed steps, reminders) no longer apply; most
        # stages can have none, and then there is nothing to cancel.
        cancel = ({"stage": before, "done_at": now, "last_error": f"the cycle left '{before}'"}
                  if self._may_have_deadlines(definition, before) else None)
        events = self._store(session, cycle, moved, history, rows, new_strands=strands, cancel=cancel)
        return Fired(cycle.key, trigger, before, taken.dest, None, cycle.version, events)

    def _fire_strand(self, session: Session, cycle: Cycle, definition: Definition, compiled: Any, strand: str,
                     trigger: str, actor: str, roles: tuple[str, ...], now: dt.datetime, comment: str | None,
                     data: dict[str, Any] | None) -> Fired:
        row = session.connection().execute(STRAND_ROW, {"cycle_id": cycle.id, "strand": strand}).first()
        if row is None:
            every = [s.id for st in definition.stages.values() for s in st.strands]
            if strand in every:
                raise InvalidInput(f"strand '{strand}' has not opened yet: cycle {cycle.key} is at '{cycle.state}'")
            raise InvalidInput(f"there is no strand '{strand}' in '{definition.id}'{suggest(strand, every)}")
        if row.stage != cycle.state:
            raise InvalidInput(f"strand '{strand}' belongs to stage '{row.stage}', which the cycle has left "
                               f"(it is at '{cycle.state}')")
        spec = definition.stages[row.stage].strand(strand)
        assert spec is not None
        machine = compiled.lifecycles[spec.lifecycle]
        ctx = FireContext(definition, self.facts(session, cycle, definition, now,
                                                 self._gates_of(machine.candidates(row.state, trigger))), roles)
        if actor == SYSTEM_ACTOR and trigger in dict(spec.at):
            # The definition times this strand trigger: the scheduler acts with the roles it names.
            ctx.actor_roles = tuple({r for t in machine.candidates(row.state, trigger) for r in t.roles})
        before = row.state
        machine.fire(before, trigger, ctx, what=f"strand '{strand}'")
        after = ctx.taken.dest if ctx.taken else before
        too_soon = gate_rules.strand_reasons(definition, ctx.facts, row.stage, strand, after)
        if too_soon:
            raise GateNotMet(f"{machine.named(trigger)} is not possible yet: " + "; ".join(too_soon), too_soon)
        history = self._history_row(cycle, now, actor, "fire", trigger=trigger, strand=strand, from_state=before,
                                    to_state=after, comment=comment, data=data or {})
        rows = [self._event_row(cycle, now, "StrandChanged", strand=strand, stage=row.stage, from_state=before,
                                to_state=after, actor=actor)]
        # The cycle's version moves with its strands: strand fires and stage moves serialise.
        events = self._store(session, cycle, {"updated_at": now}, history, rows,
                             strand_move={"id": row.id, "state": after, "updated_at": now})
        return Fired(cycle.key, trigger, before, after, strand, cycle.version, events)

    @staticmethod
    def _decision_ids(facts: Facts, taken: Transition) -> list[int]:
        """The latest decision behind each of the transition's decision gates, from the facts it passed on."""
        ids = []
        for gate in taken.gates:
            if isinstance(gate, DecisionGate):
                found = facts.decisions.get((gate.board, gate.item))
                if found is not None and found.id is not None:
                    ids.append(found.id)
        return ids

    def decide(
        self, cycle_ref: str | int, board: str, item: str, actor: str, *,
        votes_for: list[str] = (), votes_against: list[str] = (), abstain: list[str] = (),  # type: ignore[assignment]
        apologies: list[str] = (), present: list[str] = (), interests: dict[str, str] | None = None,  # type: ignore[assignment]
        resolution: str | None = None, meeting_date: dt.date | None = None, defer: bool = False,
        priorities: list[tuple[str, str]] = (),  # type: ignore[assignment]
        comment: str | None = None, amends: int | None = None, rescinds: int | None = None,
        reason: str | None = None,
    ) -> Recorded:
        if rescinds is not None:
            if amends is not None:
                raise InvalidInput("a decision either amends or rescinds an earlier one, not both")
            return self.rescind(cycle_ref, rescinds, actor, reason=reason, meeting_date=meeting_date, comment=comment)
        now = self.clock.now()
        interests = interests or {}
        with self.unit_of_work() as session:
            cycle, definition = self.acting(session, cycle_ref, actor, "decide")
            if board not in definition.boards:
                raise InvalidInput(f"there is no board '{board}' in '{definition.id}'{suggest(board, definition.boards)}")
            spec = definition.boards[board]
            items = sorted({g.item for t in definition.transitions for g in t.gates
                            if isinstance(g, DecisionGate) and g.board == board})
            if item not in items:
                listed = f" (its items: {', '.join(items)})" if items else ""
                raise InvalidInput(f"the {spec.name} has no item '{item}' in this cycle{suggest(item, items)}{listed}")
            quorum = quorum_for(definition, board, item)
            membership = dict(spec.members)
            attendees = attendance(spec.name, membership, votes_for, votes_against, abstain, apologies,
                                         present, interests)
            counts = {v: sum(1 for a in attendees if a.vote == v) for v in ("for", "against", "abstain")}
            voting_present = sum(counts.values())
            outcome = outcome_of(counts["for"], counts["against"], counts["abstain"], quorum, defer=defer)
            day = meeting_date or scheduled_meeting(definition, timeline_of(session, cycle, definition), board, item,
                                                    cycle.state) or local_date(now)
            register = self._register(session, cycle)
            gone = superseded(d for *_, d in register.values())
            if amends is not None:
                check_target(decision_id=amends, found=register[amends][:2] if amends in register else None,
                             board=board, item=item, gone=gone, reason=reason, verb="amend")
            else:
                earlier = next(((i, r[2]) for i, r in register.items() if r[:2] == (board, item)
                                and r[3] == day and i not in gone), None)
                refuse_second(board_name=spec.name, item=item, day=day, earlier=earlier)
            text = resolution or f"That the item '{item}' be agreed."
            decision = Decision(
                cycle_id=cycle.id, board=board, item=item, outcome=outcome, resolution=text, meeting_date=day,
                votes_for=counts["for"], votes_against=counts["against"], abstentions=counts["abstain"],
                voting_present=voting_present, quorum=quorum, recorded_by=actor, recorded_at=now,
                attendees=attendees,
                details={**({"priorities": [{"title": t, "recommendation": r} for t, r in priorities]}
                             if priorities else {}),
                         **({"supersedes": amends, "kind": "amendment", "reason": reason} if amends else {})},
            )
            session.add(decision)
            cycle.updated_at = now
            flag_modified(cycle, "updated_at")
            session.flush()
            summary = {"decision_id": decision.id, "board": board, "item": item, "outcome": outcome,
                       "for": counts["for"], "against": counts["against"], "abstain": counts["abstain"],
                       "voting_present": voting_present, "quorum": quorum, "meeting_date": day.isoformat(),
                       **({"amends": amends, "reason": reason} if amends else {})}
            self._history(session, cycle, now, actor, "decide", trigger=None, from_state=cycle.state,
                          to_state=cycle.state, comment=comment, data=summary)
            self._event(session, cycle, now, "DecisionRecorded", **summary)
            return Recorded(cycle.key, board, item, outcome, counts["for"], counts["against"], counts["abstain"],
                            voting_present, quorum, decision.id, amends)

    @staticmethod
    def _register(session: Session, cycle: Cycle) -> dict[int, tuple[str, str, str, dt.date, dict[str, Any]]]:
        """The cycle's decisions by id: board, item, outcome, meeting date, details."""
        rows = session.execute(select(Decision.id, Decision.board, Decision.item, Decision.outcome,
                                      Decision.meeting_date, Decision.details)
                               .where(Decision.cycle_id == cycle.id).order_by(Decision.id))
        return {row[0]: (row[1], row[2], row[3], row[4], row[5] or {}) for row in rows}

    def rescind(self, cycle_ref: str | int, decision_id: int, actor: str, *, reason: str | None,
                meeting_date: dt.date | None = None, comment: str | None = None) -> Recorded:
        """Record that a board rescinded decision `decision_id`: a new row; the old one stays as it was."""
        now = self.clock.now()
        with self.unit_of_work() as session:
            cycle, _ = self.acting(session, cycle_ref, actor, "decide")
            register = self._register(session, cycle)
            found = register.get(decision_id)
            check_target(decision_id=decision_id, found=found[:2] if found else None, board="", item="",
                         gone=superseded(d for *_, d in register.values()), reason=reason, verb="rescind")
            assert found is not None
            board, item = found[0], found[1]
            quorum = session.get(Decision, decision_id).quorum  # type: ignore[union-attr]
            day = meeting_date or local_date(now)
            decision = Decision(
                cycle_id=cycle.id, board=board, item=item, outcome=RESCINDED,
                resolution=f"That decision {decision_id} be rescinded.", meeting_date=day, votes_for=0,
                votes_against=0, abstentions=0, voting_present=0, quorum=quorum, recorded_by=actor,
                recorded_at=now, attendees=[],
                details={"supersedes": decision_id, "kind": "rescission", "reason": reason})
            session.add(decision)
            cycle.updated_at = now
            flag_modified(cycle, "updated_at")
            session.flush()
            summary = {"decision_id": decision.id, "board": board, "item": item, "outcome": RESCINDED,
                       "rescinds": decision_id, "reason": reason, "meeting_date": day.isoformat()}
            self._history(session, cycle, now, actor, "rescind", trigger=None, from_state=cycle.state,
                          to_state=cycle.state, comment=comment, data=summary)
            self._event(session, cycle, now, "DecisionRecorded", **summary)
            return Recorded(cycle.key, board, item, RESCINDED, 0, 0, 0, 0, quorum, decision.id, decision_id)

    def attach(self, cycle_ref: str | int, paper: str, file: Path, actor: str, *, exempt: int | None = None,
               title: str | None = None, comment: str | None = None, stage: str | None = None) -> Attached:
        """Attach a paper for `stage` (default: the cycle's current stage), whose board it then belongs to.

        Role, cycle, paper and title are checked before the file is opened; see `attachment.read_paper`.
        """
        now = self.clock.now()
        with self.unit_of_work() as session:
            cycle, definition = self.acting(session, cycle_ref, actor, "attach")
            if paper not in definition.papers:
                raise InvalidInput(f"'{definition.id}' names no paper '{paper}'{suggest(paper, definition.papers)}")
            if exempt is not None and exempt not in SCHEDULE_12A:
                raise InvalidInput(f"Schedule 12A has paragraphs 1 to 7; {exempt} is not one of them")
            for_stage = self._attach_stage(definition, cycle, stage)
            title = title if title is not None else definition.papers[paper]
            if not title.strip() or len(title) > TITLE_MAX or any(ch in title for ch in "\r\n\u2028\u2029"):
                raise InvalidInput(f"a paper's title is one line of 1 to {TITLE_MAX} characters; "
                                   f"this one has {len(title)}{' and a line break' if len(title.splitlines()) > 1 else ''}")
            content = read_paper(file, self.max_paper_bytes)
            filename = safe_filename(file.name)
            # Stored before the row that points at it; content-addressed, so a rolled-back
            # command leaves at most an unreferenced copy, never a row without its file.
            digest = self.papers.put(content)
            reason = f"Schedule 12A, paragraph {exempt}: {SCHEDULE_12A[exempt]}" if exempt is not None else None
            row = Paper(cycle_id=cycle.id, paper=paper, stage=for_stage, title=title, filename=filename,
                        media_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                        size=len(content), sha256=digest, exempt=exempt is not None, exempt_reason=reason,
                        attached_by=actor, attached_at=now)
            session.add(row)
            cycle.updated_at = now
            flag_modified(cycle, "updated_at")
            session.flush()
            summary = {"paper_id": row.id, "paper": paper, "stage": for_stage, "sha256": digest,
                       "size": len(content), "exempt": row.exempt}
            # An exempt paper's title stays out of the history and the events: both feed public outputs.
            if not row.exempt:
                summary["title"] = row.title
                summary["filename"] = filename
            self._history(session, cycle, now, actor, "attach", trigger=None, from_state=cycle.state,
                          to_state=cycle.state, comment=comment, data=summary)
            self._event(session, cycle, now, "PaperAttached", **summary)
            return Attached(cycle.key, paper, row.title, digest, len(content), row.exempt)

    @staticmethod
    def _attach_stage(definition: Definition, cycle: Cycle, stage: str | None) -> str:
        """The current stage, or a later one named with --stage (a paper sent ahead for a later board)."""
        if stage is None:
            return cycle.state
        order = list(definition.stages)
        if stage not in definition.stages:
            raise InvalidInput(f"'{definition.id}' has no stage '{stage}'{suggest(stage, order)}")
        if order.index(stage) < order.index(cycle.state):
            raise InvalidInput(f"the cycle has passed '{stage}'; attach for the current stage '{cycle.state}' "
                               "or a later one")
        return stage

    # -- read side -------------------------------------------------------------------

    def list_cycles(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(select(Cycle).order_by(Cycle.id)).all()
            result = []
            for c in rows:
                definition = self._definition(session, c)
                result.append({"id": c.id, "cycle": c.key, "definition": c.definition_id,
                               "version": c.definition_version, "year": c.year, "stage": c.state,
                               "stage_title": definition.stages[c.state].title, "status": c.status,
                               "updated_at": c.updated_at.isoformat()})
            return result

    @staticmethod
    def reader(definition: Definition, person: str | None) -> str | None:
        """The person a read is for (None: the public), checked against the cycle's directory."""
        if person is not None and person not in definition.people:
            raise UnknownActor(
                f"'{person}' is not in the directory of '{definition.id}'{suggest(person, definition.people)}; "
                "give --as one of the people the definition lists, or leave it out for the public view"
            )
        return person

    def status(self, cycle_ref: str | int, reader: str | None = None) -> Status:
        """Where the cycle stands; exempt papers are named only to a `reader` entitled to them."""
        now = self.clock.now()
        with self.sessions() as session:
            cycle = self._cycle(session, cycle_ref)
            definition = self._definition(session, cycle)
            reader = self.reader(definition, reader)
            stage = definition.stages[cycle.state]
            facts = self.facts(session, cycle, definition, now)
            timeline = facts.timeline
            due = timeline.stage_due(stage.id)
            actions = []
            if cycle.status == "active":
                for t in definition.transitions_from(stage.id):
                    blocked = gate_rules.reasons(t.gates, definition, facts)
                    people = [p.id for p in definition.people.values() if set(p.roles) & set(t.roles)]
                    at = timeline.resolve(t.at).isoformat() if t.at else None
                    actions.append(Action(t.trigger, t.title or t.trigger, t.dest, list(t.roles), people, blocked, at))
            strands = []
            for row in session.scalars(select(StrandState).where(StrandState.cycle_id == cycle.id,
                                                                 StrandState.stage == stage.id)):
                spec = stage.strand(row.strand)
                lifecycle = definition.lifecycles[spec.lifecycle] if spec else None
                next_triggers = [t.trigger for t in lifecycle.transitions if row.state in t.sources] if lifecycle else []
                sdue = timeline.resolve(spec.due).isoformat() if spec and spec.due else None
                strands.append({"strand": row.strand, "title": spec.title if spec else row.strand,
                                "state": row.state, "complete": bool(lifecycle and row.state in lifecycle.finals),
                                "due": sdue, "next": next_triggers})
            papers = []
            for p in session.scalars(select(Paper).where(Paper.cycle_id == cycle.id).order_by(Paper.id)):
                seen = may_see_paper(definition, p, reader)
                papers.append({"paper": p.paper, "stage": p.stage, "title": p.title if seen else "(exempt paper)",
                               "sha256": p.sha256 if seen else None, "exempt": p.exempt, "withheld": not seen,
                               "attached_at": p.attached_at.isoformat()})
            rows = list(session.scalars(select(Decision).where(Decision.cycle_id == cycle.id).order_by(Decision.id)))
            gone = superseded(d.details for d in rows)
            decisions = [{"id": d.id, "board": d.board, "item": d.item, "outcome": d.outcome, "for": d.votes_for,
                          "against": d.votes_against, "abstain": d.abstentions, "meeting_date": d.meeting_date.isoformat(),
                          "supersedes": (d.details or {}).get("supersedes"), "in_force": d.id not in gone,
                          "resolution": d.resolution, "reason": (d.details or {}).get("reason")}
                         for d in rows]
            today = facts.today
            upcoming = [{"date": day.isoformat(), "milestone": mid, "title": title,
                         "working_days": working_days_between(today, day)}
                        for day, mid, title in timeline.dated() if day >= today][:5]
            return Status(
                cycle=cycle.key, definition=definition.id, version=definition.version, year=cycle.year,
                stage=stage.id, stage_title=stage.title, status=cycle.status,
                owner=stage.owner, board=definition.boards[stage.board].name if stage.board else None,
                due=due.isoformat() if due else None,
                working_days_left=working_days_between(today, due) if due else None,
                actions=actions, strands=strands, papers=papers, decisions=decisions, upcoming=upcoming,
            )

    def history(self, cycle_ref: str | int, reader: str | None = None) -> list[dict[str, Any]]:
        """The audit trail; an exempt attach's comment and fingerprint only for a `reader` entitled to the paper."""
        with self.sessions() as session:
            cycle = self._cycle(session, cycle_ref)
            definition = self._definition(session, cycle)
            reader = self.reader(definition, reader)
            exempt = {p.id: p for p in session.scalars(select(Paper).where(Paper.cycle_id == cycle.id,
                                                                         Paper.exempt.is_(True)))}
            rows = []
            for h in session.scalars(select(HistoryEntry).where(HistoryEntry.cycle_id == cycle.id)
                                     .order_by(HistoryEntry.id)):
                comment, data = h.comment, h.data
                paper = exempt.get(int(data.get("paper_id") or 0)) if h.action == "attach" else None
                if paper is not None and not may_see_paper(definition, paper, reader):
                    comment = None
                    data = {k: v for k, v in data.items() if k not in ("sha256", "size")} | {"withheld": True}
                rows.append({"id": h.id, "at": h.at.isoformat(), "actor": h.actor, "action": h.action,
                             "trigger": h.trigger, "strand": h.strand, "from": h.from_state, "to": h.to_state,
                             "comment": comment, "data": data})
            return rows

    def outbox(self, cycle_ref: str | int) -> list[dict[str, Any]]:
        with self.sessions() as session:
            cycle = self._cycle(session, cycle_ref)
            rows = session.scalars(select(OutboxEvent).where(OutboxEvent.cycle_id == cycle.id)
                                   .order_by(OutboxEvent.id))
            return [{"id": e.id, "type": e.event_type, "payload": e.payload,
                     "dispatched": e.dispatched_at is not None} for e in rows]
