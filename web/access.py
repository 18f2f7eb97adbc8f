"""The signed-in person as the engine knows them: their id in the directory of the cycle concerned.

A person is their email; each definition version lists them under an id of its own.
A cycle whose directory does not list the person, or that every list withholds from them (a case at a stage
whose exempt papers they are not entitled to, `register.withheld_cycle`), is, to them, a cycle that does not
exist: the same 404, the same sentence. Roles are then checked by the engine itself,
as for `--as`; entitlement to exempt information by `workflow.definition.entitlement`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Path, Request
from sqlalchemy import bindparam
from sqlalchemy.orm import Session, sessionmaker

from workflow.commands.cycles import MAX_ROW_ID, ROW_COLUMNS, CycleRow, definition_of, find_cycle
from workflow.definition.directory import find_person
from workflow.definition.entitlement import entitled_to_stage
from workflow.definition.model import Definition
from workflow.definition.reader import IDENTIFIER
from workflow.engine import Engine
from workflow.errors import CycleError, DefinitionError, NotFound
from workflow.reads.register import withheld_cycle
from workflow.store.models import Cycle

from .accounts import SESSION_LOOKUP, TOKEN_LOOKUP, Principal, digest
from .auth import Credential, holder, secret_of
from .problems import Forbidden


@dataclass(frozen=True)
class KnownCycle:
    """A cycle as it is now: its id, key, year and the definition version it runs on at this moment."""

    id: int
    key: str
    year: int
    definition: Definition
    state: str  # its stage now, which decides whether it is withheld from a reader (`register.withheld_cycle`)


class KnownCycles:
    """Each request's view of a cycle: its row read afresh, its definition from the catalog's snapshots.

    Nothing about a cycle is kept between requests: `cycle migrate` (in any process) moves a running
    cycle to another definition version, and with it the directory, the boards and so who is entitled
    to its exempt papers. Reading the row is one indexed SELECT; the parsed definition comes from
    `Catalog.snapshot`, keyed by (definition id, version), which never changes once written, so the
    only thing cached is what cannot go stale.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._versions: dict[tuple[str, int], Definition] = {}
        # On PostgreSQL the row is read outside a transaction (one SELECT is consistent on its own),
        # saving the BEGIN and ROLLBACK round trips around it on every request that names a cycle.
        bind = engine.sessions.kw["bind"]
        self._reads = (sessionmaker(bind.execution_options(isolation_level="AUTOCOMMIT"))
                       if engine.on_postgresql else engine.sessions)

    def get(self, ref: str | int) -> KnownCycle:
        with self._reads() as session:
            cycle = find_cycle(session, ref)
            definition = definition_of(self.engine, session, cycle)
        return KnownCycle(cycle.id, cycle.key, cycle.year, definition, cycle.state)

    def withheld(self, cycle: KnownCycle, person: str) -> bool:
        """Is `cycle` kept from `person` in every list (`register.withheld_cycle`), so not theirs to read either?"""
        if not cycle.definition.instances.cases or entitled_to_stage(cycle.definition, cycle.state, person):
            return False  # the common case, decided without reading anything
        with self._reads() as session:
            return withheld_cycle(session, cycle.definition, cycle.id, cycle.state, person)

    def version(self, definition_id: str, version: int) -> Definition:
        """The definition of a row already read this request (`Engine.list_cycles`), without reading it again;
        a stored version never changes, so each is read once (a list of many cycles opens no session per row)."""
        key = (definition_id, version)
        if key not in self._versions:
            with self.engine.sessions() as session:
                self._versions[key] = self.engine.catalog.snapshot(session, definition_id, version)
        return self._versions[key]


@dataclass(frozen=True)
class Seat:
    """A person at one cycle: the cycle, its definition version, and who they are in it."""

    cycle: KnownCycle
    definition: Definition
    person: str


def no_cycle(ref: str | int) -> NotFound:
    return NotFound(f"there is no cycle '{ref}'")


def seat(cycles: KnownCycles, me: Principal, ref: str | int) -> Seat:
    """Where `me` sits at cycle `ref`; NotFound, as for a missing cycle, when its directory does not list them or
    when it is withheld from them in every list (a case at a stage whose exempt papers they are not entitled to)."""
    try:
        cycle = cycles.get(ref)
    except NotFound:
        raise no_cycle(ref) from None
    person = seated(cycles.engine, cycle.definition, me, ref)
    if cycles.withheld(cycle, person):
        raise no_cycle(ref)
    return Seat(cycle, cycle.definition, person)


def seated(engine: Engine, definition: Definition, me: Principal, ref: str | int) -> str:
    """`me`'s id in the directory of cycle `ref`, which runs on `definition`; else NotFound, as for no cycle."""
    person = find_person(definition, me.email)
    if person is None:
        raise no_cycle(ref)
    engine.roles_of(definition, person.id)  # the engine's own directory check, as for --as
    return person.id


def fire_seat(engine: Engine, presented: Credential, ref: str) -> Callable[[Session], tuple[CycleRow, str]]:
    """The sign-in lookup and the seat of an API fire, read in the fire's own transaction
    (`Engine.fire_seated`) by one query: the token's or session's row with the cycle's row outer-joined.

    The checks and sentences are `signed_in`'s and `seat`'s, in the same order: an unknown or revoked
    credential is 401 whatever the cycle, then the CSRF token, then a cycle that is not there, does not list
    the person or is withheld from them is 404. The credential is read on every request, so a revocation is
    seen at once.
    """
    by_id = ref.isascii() and ref.isdigit()
    statement = _SEATED[presented.token is not None, by_id]
    # An id too large for the column names no cycle (as `find_cycle`), and never reaches the driver.
    named: str | int | None = (int(ref) if int(ref) <= MAX_ROW_ID else None) if by_id else ref
    params = {"hash": digest(secret_of(presented)), "ref": named}

    def read(session: Session) -> tuple[CycleRow, str]:
        row = session.execute(statement, params).first()
        me = holder(presented, row)
        assert row is not None  # `holder` refuses a credential that found no row
        found = tuple(row)[-len(CycleRow._fields):]
        if found[0] is None:  # the outer join found no cycle
            raise no_cycle(ref)
        cycle = CycleRow(*found)
        definition = definition_of(engine, session, cycle)
        person = seated(engine, definition, me, ref)
        # A case withheld from the person is no cycle to them (as `seat`); `withheld_cycle` reads nothing more
        # for a person entitled to its stage, who is whoever may fire it in the usual case.
        if withheld_cycle(session, definition, cycle.id, cycle.state, person):
            raise no_cycle(ref)
        return cycle, person

    return read


# The sign-in lookups with the cycle's row outer-joined, by (token, not session cookie) and (by id, not key):
# `find_cycle`'s rule, digits are an id. Built once, as the lookups themselves.
# The cycle's columns come last, labelled so that none takes a name the lookup's columns use.
_SEATED = {(token, by_id): (TOKEN_LOOKUP if token else SESSION_LOOKUP)
           .outerjoin(Cycle, (Cycle.id if by_id else Cycle.key) == bindparam("ref"))
           .add_columns(*(column.label(f"cycle_{column.name}") for column in ROW_COLUMNS))
           for token in (True, False) for by_id in (True, False)}


DEFINITION_ID = IDENTIFIER.pattern
"""How every web entry point takes a definition: by its id, which names `<definitions folder>/<id>.yaml` and
nothing else. Never a path: a path would let a request have the server open (and quote) any file it can read."""
DefinitionId = Annotated[str, Path(max_length=100, pattern=DEFINITION_ID)]


def person_in(definition: Definition, me: Principal) -> str | None:
    found = find_person(definition, me.email)
    return found.id if found else None


def listed_in(engine: Engine, definition_id: str, me: Principal) -> str | None:
    """The person a folder definition's directory lists as `me`, or None: also when there is no such
    definition, or (for anyone but an admin, who manages definitions and is shown their problems) its file is
    invalid. Whether a process exists is the directory's business, so the caller answers all of these alike."""
    try:
        found = find_person(engine.catalog.load_id(definition_id), me.email)
    except DefinitionError:
        if me.admin:
            raise
        found = None
    except CycleError:  # no such id in the folder
        found = None
    return found.id if found else None


def starter(engine: Engine, definition_id: str, me: Principal) -> str:
    """Who starts a cycle of a folder definition as `me`: a definition whose directory does not list them is
    answered exactly as one that does not exist, before anything of it is shown. Their role is the engine's
    check, as for `cycle start --as`."""
    person = listed_in(engine, definition_id, me)
    if person is None:
        raise NotFound(f"there is no definition '{definition_id}' whose directory lists you")
    return person


def register_reader(engine: Engine, definition_id: str, me: Principal) -> str | None:
    """Who reads a definition's register (page and API): the person its directory lists as `me`, or None for an
    admin listed nowhere in it; anyone else is told it does not exist, as for an unknown process, since whether a
    process exists is itself the directory's business."""
    found = listed_in(engine, definition_id, me)
    if found is None and not me.admin:
        raise NotFound(f"there is no register '{definition_id}' among the processes whose directory lists you")
    return found


def require_admin(me: Principal, doing: str) -> None:
    """The one admin check of the web service: accounts, definitions and operations."""
    if not me.admin:
        raise Forbidden(f"{me.email} is not an admin; only an admin {doing}")


def known_of(request: Request) -> KnownCycles:
    """The cycles the web process knows (a cache of what never changes about each)."""
    found: KnownCycles = request.app.state.cycles
    return found


def engine_of(request: Request) -> Engine:
    found: Engine = request.app.state.cycle.engine
    return found
