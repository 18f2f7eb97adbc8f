"""Where definitions come from: files for new cycles, stored snapshots for running ones.

A cycle stays on the definition version it started with: its exact text is
stored when the cycle starts, and reloaded from there, so editing a file never
changes a running cycle. Editing a file without raising its version is refused.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.loader import load_definition, parse_definition, suggest
from workflow.definition.model import Definition
from workflow.definition.reader import IDENTIFIER
from workflow.errors import CycleError, DefinitionChanged, InvalidInput, UnknownDefinition
from workflow.store.models import DefinitionSnapshot
from workflow.store.parsed_files import ParsedFiles

MAX_REF = 1000
"""Longer than any id (100 characters) or sensible path: refused before the file system sees it."""


class Catalog:
    def __init__(self, directory: Path, snapshots_dir: Path | None = None) -> None:
        self.directory = directory
        self.templates_dir = directory / "templates"
        # Where a stored version's templates are written out for Jinja2 to load (in the data directory).
        self.snapshots_dir = snapshots_dir
        # Snapshots are immutable once written: (id, version) names one text for good.
        self._snapshots: dict[tuple[str, int], Definition] = {}
        self._template_dirs: dict[tuple[str, int], Path] = {}
        self._lock = threading.Lock()
        self._parsed = ParsedFiles()  # each file's parse, by its text and templates: parsed again only when changed

    def in_folder(self, path: Path) -> bool:
        return path.resolve().parent == self.directory.resolve()

    def folder_file_for(self, definition_id: str) -> Path | None:
        """The file in the definitions folder that defines `definition_id`, if one does."""
        for path in self.files():
            if path.stem == definition_id:
                return path
            try:
                if load_definition(path, templates_dir=self.templates_for(path)).id == definition_id:
                    return path
            except CycleError:
                continue
        return None

    @staticmethod
    def template_files(templates_dir: Path) -> dict[str, str]:
        """Every template a definition in this folder can render with, by name: part of its version."""
        if not templates_dir.is_dir():
            return {}
        return {p.relative_to(templates_dir).as_posix(): p.read_text(encoding="utf-8", errors="replace")
                for p in sorted(templates_dir.rglob("*.j2")) if p.is_file()}

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
        """A definition named by path or id: for the operator's command line and files this catalog listed.
        Anything a web request names goes through `load_id`, which never opens a path."""
        path = self.resolve_file(ref)
        return self._parsed.load(path, self.templates_for(path))

    def id_file(self, definition_id: str) -> Path:
        """The folder's file for an id, `<folder>/<id>.yaml`, and nothing else: an id that is not one
        (a path, `..`, anything outside [a-z][a-z0-9_]*) names no file at all."""
        if len(definition_id) > 100 or not IDENTIFIER.match(definition_id):
            raise UnknownDefinition(f"'{definition_id[:40]}' is not a definition id (lower-case letters, digits "
                                    "and underscores, starting with a letter)")
        path = self.directory / f"{definition_id}.yaml"
        if not path.is_file():
            known = [p.stem for p in self.files()]
            raise UnknownDefinition(f"there is no definition '{definition_id}' in {self.directory}"
                                    f"{suggest(definition_id, known)}")
        return path

    def load_id(self, definition_id: str) -> Definition:
        """The folder's definition with this id (see `id_file`): what every web entry point loads."""
        path = self.id_file(definition_id)
        return self._parsed.load(path, self.templates_for(path))

    def templates_for_snapshot(self, definition: Definition) -> Path:
        """The templates a running cycle renders with: its stored version's, or (stored before
        templates were stored) the folder's."""
        return self._template_dirs.get(definition.key) or self.templates_for(Path(definition.path))

    def _write_templates(self, definition_id: str, version: int, templates: dict[str, str]) -> Path | None:
        """Write a stored version's templates out, replacing any file that differs from the database."""
        if not templates or self.snapshots_dir is None:
            return None
        directory = self.snapshots_dir / f"{definition_id}-v{version}"
        for name, body in templates.items():
            target = directory / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                continue
            if not target.is_file() or target.read_text(encoding="utf-8", errors="replace") != body:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(body, encoding="utf-8")
        return directory

    def templates_for(self, path: Path) -> Path:
        beside = path.parent / "templates"
        return beside if beside.is_dir() else self.templates_dir

    def register(self, session: Session, definition: Definition, now: dt.datetime) -> None:
        """Store the definition's text for the cycles about to run on it."""
        stored = session.get(DefinitionSnapshot, (definition.id, definition.version))
        templates = self.template_files(self.templates_for(Path(definition.path)))
        if stored is None:
            cached = self._snapshots.get(definition.key)
            if cached is not None and cached.checksum != definition.checksum:
                # Parsed from a database that has since been emptied: this text replaces it.
                with self._lock:
                    self._snapshots.pop(definition.key, None)
            session.add(DefinitionSnapshot(
                id=definition.id, version=definition.version, checksum=definition.checksum,
                source=definition.source, path=definition.path, registered_at=now, templates=templates,
            ))
        elif stored.checksum != definition.checksum:
            raise DefinitionChanged(
                f"{definition.path} has changed since version {definition.version} of '{definition.id}' was "
                f"first used; raise its 'version' to {self.next_version(session, definition.id)} so cycles "
                "already running keep the version they started with"
            )
        elif stored.templates and stored.templates != templates:
            changed = sorted(n for n in {*stored.templates, *templates} if stored.templates.get(n) != templates.get(n))
            raise DefinitionChanged(
                f"the templates {', '.join(changed)} have changed since version {definition.version} of "
                f"'{definition.id}' was first used; a definition's version includes its templates: raise its "
                f"'version' to {self.next_version(session, definition.id)} so cycles already running keep the "
                "emails and documents they started with"
            )

    @staticmethod
    def stored_versions(session: Session) -> list[DefinitionSnapshot]:
        """Every version a cycle has started on, by definition and version."""
        return list(session.scalars(select(DefinitionSnapshot).order_by(DefinitionSnapshot.id,
                                                                        DefinitionSnapshot.version)))

    def install(self, session: Session, definition: Definition, now: dt.datetime) -> Path:
        """Make a checked definition the folder's file for its id, `<id>.yaml`, which new cycles start from.

        What an admin does by hand: the file replaces the folder's, and its version is checked as `register`
        will check it when a cycle next starts (the caller rolls `session` back: nothing is stored until then).
        The text goes to a temporary file in the folder first and is renamed into place only when whole.
        """
        target = self.directory / f"{definition.id}.yaml"
        owner = self.folder_file_for(definition.id)
        if owner is not None and owner.name != target.name:
            raise InvalidInput(f"'{definition.id}' is defined by {owner.name} in the definitions folder, not "
                               f"{target.name}: saving it would leave two files for one definition")
        if target.is_file():
            try:
                present = self.load(str(target)).id
            except CycleError:
                present = definition.id  # the id's own file, invalid for now: this upload mends it
            if present != definition.id:
                raise InvalidInput(f"the file {target.name} in the definitions folder defines '{present}', another "
                                   f"definition: a file for '{definition.id}' would overwrite it")
        self.register(session, replace(definition, path=str(target)), now)
        try:
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{definition.id}.", suffix=".part")
        except OSError as exc:
            raise InvalidInput(f"the definitions folder cannot be written to: {exc.strerror}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(definition.source)
            if target.is_file():
                os.chmod(temporary, target.stat().st_mode & 0o777)  # readable as the file it replaces was
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

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
        written = self._write_templates(definition_id, version, stored.templates or {})
        templates_dir = written or self.templates_for(Path(stored.path))
        found = parse_definition(stored.source, stored.path, templates_dir=templates_dir)
        with self._lock:
            if written is not None:
                self._template_dirs[key] = written
            found = self._snapshots.setdefault(key, found)
        return found
