"""The state a definition's builder keeps while it reads the sections, shared by the section readers."""



from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from workflow.definition.case_fields import CaseField
from workflow.definition.model import (
    SYSTEM_ROLE,
    Blackout,
    Board,
    DocumentSpec,
    Lifecycle,
    Meeting,
    Person,
    ReminderRule,
    Stage,
    Transition,
)
from workflow.definition.reader import (
    Reader,
)
from workflow.definition.yamlfile import YMap


class BuilderBase:
    """What every section reader sees: the file's reader, its root and what was read so far."""

    def __init__(self, reader: Reader, root: YMap) -> None:
        self.r = reader
        self.root = root
        self.roles: dict[str, str] = {SYSTEM_ROLE: "The scheduler, for timed transitions"}
        self.people: dict[str, Person] = {}
        self.boards: dict[str, Board] = {}
        self.meetings: dict[str, Meeting] = {}
        self.papers: dict[str, str] = {}
        self.lifecycles: dict[str, Lifecycle] = {}
        self.stages: dict[str, Stage] = {}
        self.transitions: list[Transition] = []
        self.reminders: dict[str, ReminderRule] = {}
        self.documents: dict[str, DocumentSpec] = {}
        self.permissions: dict[str, tuple[str, ...]] = {}
        self.blackouts: dict[str, Blackout] = {}
        self.case_fields: dict[str, CaseField] = {}  # `loader_fields.py`
        self.case_roles: dict[str, str] = {}
        self.personal_case_roles: set[str] = set()
        self._lines: dict[str, int] = {}
        self._checks: list[Callable[[], None]] = []

    def later(self, kind: str, names: Iterable[str], table: str, line: int, field: str) -> None:
        """Check names against a section read after this one (reminders, documents)."""

        def check() -> None:
            known: dict[str, Any] = getattr(self, table)
            for name in names:
                if name not in known:
                    self.r.unknown(kind, name, known, line, field)

        self._checks.append(check)

    def section(self, key: str) -> YMap | None:
        if key not in self.root:
            return None
        return self.r.mapping(self.root[key], self.root.line_of(key), key)

    def role_refs(self, value: Any, line: int, field: str, *, allow_system: bool = True) -> tuple[str, ...]:
        roles = self.r.names(value, line, field)
        for role in roles:
            if role not in self.roles or (role == SYSTEM_ROLE and not allow_system):
                self.r.unknown("role", role, [x for x in self.roles if x != SYSTEM_ROLE], line, field)
        return tuple(roles)

    def board_ref(self, name: Any, line: int, field: str) -> str | None:
        if name is None:
            return None
        if name not in self.boards:
            self.r.unknown("board", name, self.boards, line, field)
        return str(name)
