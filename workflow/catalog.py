"""Where definitions come from: files for new cycles, stored snapshots for running ones.

A cycle stays on the definition version it started with: its exact text is
stored when the cycle starts, and reloaded from there, so editing a file never
changes a running cycle. Editing a file without raising its version is refused.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .definition import Definition
from .errors import DefinitionChanged, UnknownDefinition
from .loader import load_definition, parse_definition, suggest
from .models import DefinitionSnapshot

MAX_REF = 1000
"""Longer than any id (100 characters) or sensible path: refused before the file system sees it."""


class Catalog:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.templates_dir = directory / "templates"
        # Snapshots are immutable once written: (id, version) names one text for good.
        self._snapshots: dict[tuple[str, int], Definition] = {}
        self._lock = threading.Lock()

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.yaml"))

    def resolve_file(self, ref: str) -> Path:
        """A definition named by path, or by id (the file `<id>.yaml` in the definitions folder)."""
        if len(ref) > MAX_REF or "\x00" in ref:
            raise UnknownDefinition(f"a definition is named by an id or a path of at most {MAX_REF} characters; "
                                    f"'{ref[:40]}…' ({len(ref)} characters) is neither")
        candidate = Path(ref)
        if candidate.suffix in (".yaml", ".yml") or candidate.exists():
            if not candidate.is_file():
                raise UnknownDefinition(f"there is no definition file at {candidate}")
            return candidate
        path = self.directory / f"{ref}.yaml"
        if path.is_file():
            return path
        known = [p.stem for p in self.files()]
        raise UnknownDefinition(f"there is no definition '{ref}' in {self.directory}{suggest(ref, known)}")

    def load(self, ref: str) -> Definition:
        path = self.resolve_file(ref)
        return load_definition(path, templates_dir=self.templates_for(path))

    def templates_for_snapshot(self, definition: Definition) -> Path:
        return self.templates_for(Path(definition.path))

    def templates_for(self, path: Path) -> Path:
        beside = path.parent / "templates"
        return beside if beside.is_dir() else self.templates_dir

    def register(self, session: Session, definition: Definition, now: dt.datetime) -> None:
        """Store the definition's text for the cycles about to run on it."""
        stored = session.get(DefinitionSnapshot, (definition.id, definition.version))
        if stored is None:
            cached = self._snapshots.get(definition.key)
            if cached is not None and cached.checksum != definition.checksum:
                # Parsed from a database that has since been emptied: this text replaces it.
                with self._lock:
                    self._snapshots.pop(definition.key, None)
            session.add(DefinitionSnapshot(
                id=definition.id, version=definition.version, checksum=definition.checksum,
                source=definition.source, path=definition.path, registered_at=now,
            ))
        elif stored.checksum != definition.checksum:
            raise DefinitionChanged(
                f"{definition.path} has changed since version {definition.version} of '{definition.id}' was "
                f"first used; raise its 'version' to {self.next_version(session, definition.id)} so cycles "
                "already running keep the version they started with"
            )

    @staticmethod
    def next_version(session: Session, definition_id: str) -> int:
        versions = session.scalars(select(DefinitionSnapshot.version).where(DefinitionSnapshot.id == definition_id))
        return max(versions, default=0) + 1

    def snapshot(self, session: Session, definition_id: str, version: int) -> Definition:
        """The definition a running cycle started on, read and parsed once per process.

        A snapshot never changes once written (`register` refuses a changed text under the same
        version), so after the first read the database is not asked again.
        """
        key = (definition_id, version)
        found = self._snapshots.get(key)
        if found is not None:
            return found
        stored = session.get(DefinitionSnapshot, key)
        if stored is None:
            raise UnknownDefinition(f"version {version} of definition '{definition_id}' is not in this database")
        found = parse_definition(stored.source, stored.path, templates_dir=self.templates_for(Path(stored.path)))
        with self._lock:
            found = self._snapshots.setdefault(key, found)
        return found
