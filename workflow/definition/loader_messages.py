"""Reminders and documents: who is written to, when, and with which templates."""


from __future__ import annotations

from typing import Any

import jinja2

from workflow.definition.loader_base import BuilderBase
from workflow.definition.loader_fields import undeclared_fields, with_fields
from workflow.definition.model import (
    DOCUMENT_SECTIONS,
    DocumentSpec,
    Escalation,
    ReminderRule,
)
from workflow.definition.reader import (
    RECIPIENT_KINDS,
    suggest,
)
from workflow.definition.templating import (
    check_template,
    document_samples,
    make_environment,
    reminder_files,
    reminder_samples,
)
from workflow.definition.yamlfile import YList, YMap


class MessageSections(BuilderBase):
    """Reminders and documents: who is written to, when, and with which templates."""

    def recipients(self, value: Any, line: int, field: str, *, outside: bool = False) -> tuple[str, ...]:
        """Recipient rules; `outside`: 'case_role:<role>' (a cycle's contacts outside the directory) allowed too."""
        names = self.r.names(value, line, field)
        for name in names:
            kind, _, arg = name.partition(":")
            if kind not in RECIPIENT_KINDS:
                self.r.problem(line, field, f"unknown recipient '{name}'{suggest(kind, RECIPIENT_KINDS)}; expected "
                               "board_voting, board_members, board_chair (each optionally ':<board>'), owner, "
                               "role:<role>, person:<person> or case_role:<case role>")
            elif kind == "case_role" and not outside:
                self.r.problem(line, field, f"'{name}' is someone outside the directory, who is sent only the "
                               "reminders addressed to them: not documents, papers or escalations")
            elif kind == "case_role" and arg not in self.case_roles:
                self.r.unknown("case role", arg, self.case_roles, line, field)
            elif kind == "role" and arg not in self.roles:
                self.r.unknown("role", arg, self.roles, line, field)
            elif kind == "person" and arg not in self.people:
                self.r.unknown("person", arg, self.people, line, field)
            elif kind.startswith("board") and arg and arg not in self.boards:
                self.r.unknown("board", arg, self.boards, line, field)
        return tuple(names)

    def template(self, name: str, line: int, field: str, samples: list[dict[str, Any]] | None = None) -> None:
        """The template exists, parses, and (given samples) renders with only what it will be given."""
        directory = self.r.templates_dir
        if directory is None:
            return
        if not (directory / name).is_file():
            present = [p.name for p in directory.glob("*")] if directory.is_dir() else []
            self.r.problem(line, field, f"template '{name}' does not exist in {directory}{suggest(name, present)}")
            return
        try:
            env = make_environment(directory)
            env.get_template(name)
            wrong = undeclared_fields(env, name, self.case_fields) if samples else None
            wrong = wrong or (check_template(env, name, with_fields(samples, self.case_fields)) if samples else None)
            if wrong:
                self.r.problem(line, field, wrong)
        except jinja2.TemplateSyntaxError as exc:
            self.r.problem(line, field, f"template '{name}' does not parse: line {exc.lineno}: {exc.message}")
        except jinja2.TemplateNotFound:
            self.r.problem(line, field, f"template '{name}' is not a file inside {directory}")
        except UnicodeDecodeError as exc:
            self.r.problem(line, field, f"template '{name}' is not UTF-8 text: {exc.reason} at byte {exc.start}")

    def read_reminders(self) -> None:
        for rid, raw, line in self.r.entries(self.section("reminders"), "reminders"):
            field = f"reminders.{rid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("template", "to", "before", "on_due", "overdue_every", "escalate"), field)
            template = self.r.get(node, "template", field, str)
            if template:
                for name in reminder_files(template):
                    self.template(name, node.line_of("template"), f"{field}.template", reminder_samples())
            to = self.recipients(node.get("to"), node.line_of("to"), f"{field}.to", outside=True) if "to" in node else ()
            if "to" not in node:
                self.r.problem(node.line, f"{field}.to", "missing required field 'to'")
            before = node.get("before", [])
            if not isinstance(before, list) or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0
                                                       for b in before):
                self.r.problem(node.line_of("before"), f"{field}.before",
                               "expected a list of working days before the due date, such as [10, 3]")
                before = []
            on_due = self.r.get(node, "on_due", field, bool, required=False, default=True)
            every = self.r.get(node, "overdue_every", field, int, required=False)
            if every is not None and every < 1:
                self.r.problem(node.line_of("overdue_every"), f"{field}.overdue_every", "expected 1 or more working days")
            escalations = []
            raw_esc = node.get("escalate", [])
            if not isinstance(raw_esc, list):
                self.r.problem(node.line_of("escalate"), f"{field}.escalate", "expected a list of escalation steps")
                raw_esc = []
            for i, item in enumerate(raw_esc):
                eline = raw_esc.line_of(i) if isinstance(raw_esc, YList) else line
                enode = self.r.mapping(item, eline, f"{field}.escalate[{i}]")
                if enode is None:
                    continue
                self.r.keys(enode, ("after", "to"), f"{field}.escalate[{i}]")
                after = self.r.get(enode, "after", f"{field}.escalate[{i}]", int, default=1)
                if after < 1:
                    self.r.problem(enode.line_of("after"), f"{field}.escalate[{i}].after",
                                   "expected 1 or more working days overdue")
                eto = self.recipients(enode.get("to"), enode.line_of("to"), f"{field}.escalate[{i}].to")
                escalations.append(Escalation(after, eto))
            if template:
                self.reminders[rid] = ReminderRule(rid, template, to, tuple(sorted(before, reverse=True)), on_due,
                                                   every, tuple(escalations))

    def read_documents(self) -> None:
        for did, raw, line in self.r.entries(self.section("documents"), "documents"):
            field = f"documents.{did}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("title", "template", "notify", "purpose", "sections"), field)
            purpose = self.r.get(node, "purpose", field, str, required=False, default="")
            title = self.r.get(node, "title", field, str, default=did)
            template = self.r.get(node, "template", field, str)
            if template:
                self.template(template, node.line_of("template"), f"{field}.template", document_samples())
            notify = self.recipients(node.get("notify", []), node.line_of("notify"), f"{field}.notify")
            sections = self.document_sections(node, field)
            if template:
                self.documents[did] = DocumentSpec(did, title, template, notify, " ".join(purpose.split()), sections)

    def document_sections(self, node: YMap, field: str) -> tuple[tuple[str, str], ...]:
        """`sections: {reasons: ..., alternatives: ..., implications: ...}`: text the record prints under each."""
        if "sections" not in node:
            return ()
        raw = self.r.mapping(node["sections"], node.line_of("sections"), f"{field}.sections")
        if raw is None:
            return ()
        self.r.keys(raw, DOCUMENT_SECTIONS, f"{field}.sections")
        found = []
        for name in DOCUMENT_SECTIONS:
            text = self.r.get(raw, name, f"{field}.sections", str, required=False, default="")
            if text:
                found.append((name, " ".join(text.split())))
        return tuple(found)

    def check_reminder_use(self) -> None:
        """A stage's reminders need a due date, and 'board_...' recipients need a board to mean."""
        for stage in self.stages.values():
            line = self._lines.get(stage.id)
            if stage.reminders and stage.due is None:
                self.r.problem(line, f"stages.{stage.id}.reminders", "reminders need the stage to have a 'due' date")
            for rule_id in stage.reminders:
                rule = self.reminders.get(rule_id)
                if rule is None or stage.board:
                    continue
                specs = rule.recipients + tuple(r for step in rule.escalate for r in step.recipients)
                bare = sorted({r for r in specs if r.startswith("board_") and ":" not in r})
                if bare:
                    self.r.problem(line, f"stages.{stage.id}.reminders",
                                   f"reminder rule '{rule_id}' sends to {', '.join(bare)}, but stage '{stage.id}' has "
                                   "no board: name one on the stage, or write e.g. 'board_chair:risk_board'")
