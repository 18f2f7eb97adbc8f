"""Definition files parsed once per content: a folder's files are read on every request, parsed only when changed.

The Definitions list, the sign-in's directory and the start form load every file in the folder;
parsing one (YAML, validation, its templates checked) takes tens of milliseconds, reading it
well under one. So a parse is kept against what it was made from: the file's text (its SHA-256)
and the name, size and modification time of every template beside it. A changed file, or a
changed, added or removed template, is parsed again; an unchanged one is not, however often it is
asked for. A file the loader refuses is kept the same way, with its problems, so a broken file is
not parsed on every request either. Definitions are immutable, so every caller can share one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from workflow.definition.loader import parse_definition, read_definition_text
from workflow.definition.model import Definition
from workflow.errors import DefinitionError, Problem

Key = tuple[str, str, str, tuple[tuple[str, int, int], ...]]


def templates_seen(templates_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Each template's name, size and modification time: what says a template changed, without reading it."""
    if not templates_dir.is_dir():
        return ()
    found = []
    for p in sorted(templates_dir.rglob("*")):
        if p.is_file():
            stat = p.stat()
            found.append((p.relative_to(templates_dir).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class ParsedFiles:
    """The parse of each definition file, by its text and its templates, for the last `kept` versions asked for."""

    def __init__(self, kept: int = 256) -> None:
        self._lock = threading.Lock()
        self._limit = kept
        self._kept: OrderedDict[Key, Definition | list[Problem]] = OrderedDict()

    def load(self, path: Path, templates_dir: Path) -> Definition:
        """`load_definition(path, templates_dir=...)`, parsed again only if the file or its templates changed."""
        text = read_definition_text(path)  # a DefinitionError says what is wrong with the file
        key = (str(path), str(templates_dir), hashlib.sha256(text.encode("utf-8")).hexdigest(),
               templates_seen(templates_dir))
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
        if found is None:
            try:
                found = parse_definition(text, str(path), templates_dir=templates_dir)
            except DefinitionError as exc:
                found = list(exc.problems)
            with self._lock:
                self._kept[key] = found
                while len(self._kept) > self._limit:
                    self._kept.popitem(last=False)
        if isinstance(found, list):
            raise DefinitionError(list(found))
        return found
