"""The signed-in person as the engine knows them: their id in the directory of the cycle concerned.

A person is their email; each definition version lists them under an id of its own.
A cycle whose directory does not list the person is, to them, a cycle that does not
exist: the same 404, the same sentence. Roles are then checked by the engine itself,
as for `--as`; entitlement to exempt information by `workflow.definition.entitlement`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fastapi import Request

from workflow.definition.directory import find_person
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.errors import NotFound

from .accounts import Principal
from .problems import Forbidden


@dataclass(frozen=True)
class KnownCycle:
    """What never changes about a cycle once started: its id, key, year and definition version."""

    id: int
    key: str
    year: int
    definition: Definition


class KnownCycles:
    """The unchanging facts of the cycles asked about, kept by each process so a request need not read them.

    Only what a cycle can never change is kept (its state is always read by the command itself).
    """

    LIMIT = 20_000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[str, KnownCycle] = {}
        self._lock = threading.Lock()

    def get(self, ref: str | int) -> KnownCycle:
        found = self._known.get(str(ref))
        if found is not None:
            return found
        cycle, definition = self.engine.definition_of(ref)
        found = KnownCycle(cycle.id, cycle.key, cycle.year, definition)
        with self._lock:
            if len(self._known) > self.LIMIT:
                self._known.clear()
            self._known[str(cycle.id)] = self._known[cycle.key] = found
        return found


@dataclass(frozen=True)
class Seat:
    """A person at one cycle: the cycle, its definition version, and who they are in it."""

    cycle: KnownCycle
    definition: Definition
    person: str


def no_cycle(ref: str | int) -> NotFound:
    return NotFound(f"there is no cycle '{ref}'")


def seat(cycles: KnownCycles, me: Principal, ref: str | int) -> Seat:
    """Where `me` sits at cycle `ref`; NotFound, as for a missing cycle, when its directory does not list them."""
    try:
        cycle = cycles.get(ref)
    except NotFound:
        raise no_cycle(ref) from None
    person = find_person(cycle.definition, me.email)
    if person is None:
        raise no_cycle(ref)
    cycles.engine.roles_of(cycle.definition, person.id)  # the engine's own directory check, as for --as
    return Seat(cycle, cycle.definition, person.id)


def person_in(definition: Definition, me: Principal) -> str | None:
    found = find_person(definition, me.email)
    return found.id if found else None


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
