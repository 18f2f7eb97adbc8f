"""The signed-in person as the pages see them: who they are in each definition and what they may open.

The navigation shows only what the person may use; every page still checks the
person's roles and entitlement through the engine and `workflow.definition.entitlement`
itself, so a hidden link is a courtesy, never the protection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from workflow.definition.directory import find_person
from workflow.definition.model import Definition, Person
from workflow.errors import DefinitionError
from workflow.store.catalog import Catalog

from ..access import require_admin
from ..accounts import NotSignedIn, Principal
from ..auth import principal


class SignInFirst(Exception):
    """A page asked for by someone not signed in: they are sent to the sign-in page and brought back."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.login = f"/auth/login?next={quote(path, safe='/')}"


class Directory:
    """The definitions in the folder, each loaded once per change of its file (loading checks templates)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._loaded: dict[Path, tuple[tuple[int, int], Definition | None]] = {}
        self._lock = threading.Lock()

    def definitions(self) -> list[Definition]:
        found = []
        for path in self.catalog.files():
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._loaded.get(path)
            if cached is None or cached[0] != stamp:
                try:
                    definition: Definition | None = self.catalog.load(str(path))
                except DefinitionError:
                    definition = None  # an invalid file on disk lists nobody; the Definitions page shows why
                with self._lock:
                    self._loaded[path] = cached = (stamp, definition)
            if cached[1] is not None:
                found.append(cached[1])
        return found


@dataclass(frozen=True)
class NavItem:
    href: str
    text: str


@dataclass(frozen=True)
class Viewer:
    """One signed-in person for one request: their account and their entries in the definitions' directories."""

    principal: Principal
    people: dict[str, Person] = field(default_factory=dict)  # definition id -> the person there
    boards: tuple[str, ...] = ()  # "definition/board" for each board they serve on

    @property
    def email(self) -> str:
        return self.principal.email

    @property
    def admin(self) -> bool:
        return self.principal.admin

    @property
    def csrf_token(self) -> str:
        return self.principal.csrf_token or ""

    @property
    def navigation(self) -> list[NavItem]:
        items = [NavItem("/my-work", "My work")]
        if self.people:
            items.append(NavItem("/cycles", "Cycles"))
        if self.boards:
            items.append(NavItem("/my-boards", "My boards"))
        if self.admin:
            items += [NavItem("/definitions", "Definitions"), NavItem("/operations", "Operations"),
                      NavItem("/accounts", "Accounts")]
        return [*items, NavItem("/tokens", "API tokens")]


def viewer_for(directory: Directory, me: Principal) -> Viewer:
    people: dict[str, Person] = {}
    boards: list[str] = []
    for definition in directory.definitions():
        person = find_person(definition, me.email)
        if person is None:
            continue
        people[definition.id] = person
        boards += [f"{definition.id}/{board.id}" for board in definition.boards.values()
                   if any(member == person.id for member, _kind in board.members)]
    return Viewer(me, people, tuple(boards))


async def viewer(request: Request) -> Viewer:
    """FastAPI dependency for pages: the viewer, or a trip to the sign-in page and back."""
    try:
        me = await principal(request)
    except NotSignedIn:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInFirst(target if request.method == "GET" else request.url.path) from None
    directory: Directory = request.app.state.directory
    found = await run_in_threadpool(viewer_for, directory, me)
    request.state.viewer = found
    return found


def admin_only(seen: Viewer, doing: str) -> None:
    """Definitions and Operations are for admins: the web service's one admin check."""
    require_admin(seen.principal, doing)
