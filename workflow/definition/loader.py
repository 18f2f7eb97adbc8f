"""Turn a definition file into a `Definition`, or say everything wrong with it.

Every problem names the file, the line and the field, says what was expected
and, for a misspelt name, suggests the nearest valid one. Problems are
collected, not raised one at a time, so an admin fixes a file in one pass.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import yaml

from workflow.definition import yamlfile
from workflow.definition.loader_directory import DirectorySections
from workflow.definition.loader_fields import FieldSections
from workflow.definition.loader_flow import FlowSections
from workflow.definition.loader_independence import add_panel_gates, check_independence
from workflow.definition.loader_instances import InstanceSections
from workflow.definition.loader_messages import MessageSections
from workflow.definition.loader_outcomes import check_outcomes
from workflow.definition.loader_parties import PartySections
from workflow.definition.loader_time import TimeSections
from workflow.definition.model import (
    Definition,
)
from workflow.definition.notice_templates import DOCUMENT_SENT, check_notices
from workflow.definition.reader import (
    TOP_LEVEL,
    Reader,
    email_problem,
    suggest,
)
from workflow.definition.textfile import NotReadable, read_limited
from workflow.errors import DefinitionError, Problem, quoted

__all__ = ["email_problem", "load_definition", "parse_definition", "read_definition_text", "suggest"]


MAX_DEFINITION_BYTES = 1024 * 1024
"""A definition file's largest size (the shipped ones are under 40 kB; an upload's limit is the same)."""


def read_definition_text(path: Path) -> str:
    """A definition file's text; a file that cannot be read, is not a regular file (/dev/zero, a pipe) or is
    larger than MAX_DEFINITION_BYTES is a DefinitionError, found without reading more than the limit."""
    try:
        return read_limited(path, MAX_DEFINITION_BYTES).decode("utf-8")
    except OSError as exc:
        raise DefinitionError([Problem(str(path), None, "file", f"cannot read the file: {exc.strerror}")]) from None
    except NotReadable as exc:
        raise DefinitionError([Problem(str(path), None, "file", f"the file {exc}")]) from None
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(str(path), None, "file", f"the file is not UTF-8 text: {exc.reason} "
                                       f"at byte {exc.start}")]) from None


def load_definition(path: str | Path, *, templates_dir: Path | None = None) -> Definition:
    """Read and validate a definition file; raise DefinitionError listing every problem."""
    path = Path(path)
    text = read_definition_text(path)
    if templates_dir is None:
        templates_dir = path.parent / "templates"
    return parse_definition(text, str(path), templates_dir=templates_dir)


def parse_definition(text: str, path: str = "<definition>", *, templates_dir: Path | None = None) -> Definition:
    reader = Reader(path, templates_dir)
    try:
        raw = yamlfile.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([Problem(path, mark.line + 1 if mark else None, "yaml", f"not valid YAML: {detail}")]) from None
    except ValueError as exc:  # PyYAML builds `2022-02-30` as a date and lets ValueError out, without a line
        line, value = _unconstructable(text)
        raise DefinitionError([Problem(path, line, "yaml", f"not valid YAML: cannot read {quoted(value)}: {exc}")]) from None
    except RecursionError:
        raise DefinitionError([Problem(path, None, "yaml", "not valid YAML: nested too deeply")]) from None
    root = reader.mapping(raw, getattr(raw, "line", 1), "definition")
    if root is None:
        raise DefinitionError(reader.problems)
    definition = _Builder(reader, root).build()
    if reader.problems or definition is None:
        raise DefinitionError(reader.problems)
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _with_source(definition, text, path, checksum)


def _unconstructable(text: str) -> tuple[int | None, str]:
    """The line and text of the first plain value PyYAML cannot build, such as 2022-02-30."""
    constructor = yaml.constructor.SafeConstructor()
    todo, seen = [yaml.compose(text, Loader=yaml.SafeLoader)], set()
    while todo:  # in document order, as PyYAML builds them; aliases may share nodes
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node)
            except (ValueError, yaml.YAMLError):
                return node.start_mark.line + 1, str(node.value)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            todo.extend(reversed([n for pair in node.value for n in pair]))
    return None, "a value"


def _with_source(definition: Definition, source: str, path: str, checksum: str) -> Definition:
    return replace(definition, source=source, path=path, checksum=checksum)


class _Builder(DirectorySections, FlowSections, MessageSections, PartySections, TimeSections, FieldSections,
               InstanceSections):
    """Builds the definition section by section; cross-references are checked last."""

    def build(self) -> Definition | None:
        r, root = self.r, self.root
        r.keys(root, TOP_LEVEL, "")
        ident = r.get(root, "id", "", str)
        if ident is not None:
            r.identifier(ident, root.line_of("id"), "id")
        title = r.get(root, "title", "", str, default="")
        version = r.get(root, "version", "", int)
        if isinstance(version, int) and version < 1:
            r.problem(root.line_of("version"), "version", "expected a whole number of 1 or more")
        description = r.get(root, "description", "", str, required=False, default="")
        starts_in = self.cycle()
        instances = self.read_instances()
        self.read_blackouts()
        self.read_roles()
        self.read_people()
        self.read_boards()
        self.read_papers()
        self.read_meetings()
        self.read_fields()
        retention = self.read_retention()
        self.read_lifecycles()
        self.read_stages()
        initial = r.get(root, "initial", "", str)
        if initial is not None and initial not in self.stages and "stages" in root:
            r.unknown("stage", initial, self.stages, root.line_of("initial"), "initial")
        self.read_transitions()
        self.add_length_gates()
        add_panel_gates(self)
        self.add_required_gates()
        self.read_case_roles()
        self.read_reminders()
        self.read_documents()
        if r.templates_dir is not None:
            # The emails found by name, not named here; every document is sent (to the board that decided).
            r.problems.extend(check_notices(r.templates_dir, (DOCUMENT_SENT,) if self.documents else ()))
        self.read_permissions()
        for check in self._checks:
            check()
        self.check_events()
        self.check_milestones(initial, starts_in)
        self.check_reminder_use()
        check_outcomes(self)
        check_independence(self)
        if initial in self.stages:
            self.check_graph(initial)
        if r.problems:
            return None
        return Definition(
            id=ident, title=title, version=version, starts_in=starts_in, initial=initial,
            roles=self.roles, people=self.people, boards=self.boards, meetings=self.meetings,
            papers=self.papers, stages=self.stages, transitions=tuple(self.transitions),
            lifecycles=self.lifecycles, reminders=self.reminders, documents=self.documents,
            permissions=self.permissions, description=description, blackouts=self.blackouts,
            fields=self.case_fields, retention=retention,
            instances=instances,
            case_roles=self.case_roles,
            personal_case_roles=frozenset(self.personal_case_roles),
        )
