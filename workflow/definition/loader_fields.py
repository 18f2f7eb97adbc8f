"""The `fields:` and `retention:` sections, `when: field ...` gates, and the fields templates may name."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from workflow.definition.case_fields import (
    COMPARISONS,
    FIELD_TYPES,
    START,
    TODAY,
    CaseField,
    FieldGate,
    comparable,
)
from workflow.definition.loader_base import BuilderBase
from workflow.definition.model import Period
from workflow.definition.reader import IDENTIFIER, _describe, suggest
from workflow.definition.yamlfile import YList

FIELD_KEYS = ("title", "type", "required_at", "personal", "choices")
# 'field panel_size is set', 'field date_of_death <= today', 'field panel_size >= 3', 'field a < field b'
WHEN = re.compile(r"^field\s+([a-z][a-z0-9_]*)\s+(?:(is\s+set)|(==|!=|<=|>=|<|>)\s+(\S+(?:\s+\S+)?))$")
SAMPLES = {"text": "Alex Example", "date": "14 March 2026", "email": "family.contact@example.org",
           "number": "3", "choice": ""}


class FieldSections(BuilderBase):
    """Reads the case fields and the retention period, and the field gates that read them."""

    def read_fields(self) -> None:
        for fid, raw, line in self.r.entries(self.section("fields"), "fields"):
            where = f"fields.{fid}"
            node = self.r.mapping(raw, line, where)
            if node is None:
                continue
            self.r.keys(node, FIELD_KEYS, where)
            kind = self.r.get(node, "type", where, str)
            if kind is not None and kind not in FIELD_TYPES:
                self.r.problem(node.line_of("type"), f"{where}.type", f"unknown field type '{kind}'"
                               f"{suggest(kind, FIELD_TYPES)}; a field is one of {', '.join(FIELD_TYPES)}")
                kind = None
            title = self.r.get(node, "title", where, str, required=False, default="") or fid.replace("_", " ").capitalize()
            personal = self.r.get(node, "personal", where, bool, required=False, default=False)
            required = self.r.get(node, "required_at", where, str, required=False)
            if required is not None and required != START:
                self.later_stage(required, node.line_of("required_at"), f"{where}.required_at")
            choices: tuple[str, ...] = ()
            if kind == "choice":
                listed = node.get("choices")
                if not isinstance(listed, YList) or not listed or not all(isinstance(c, str) and c for c in listed):
                    self.r.problem(node.line_of("choices") if "choices" in node else node.line, f"{where}.choices",
                                   f"a choice field needs 'choices': a list of the words a person chooses from, "
                                   f"got {_describe(listed)}")
                else:
                    choices = tuple(listed)
            elif "choices" in node:
                self.r.problem(node.line_of("choices"), f"{where}.choices", "only a field of type 'choice' has choices")
            if kind is not None:
                self.case_fields[fid] = CaseField(fid, title, kind, required, bool(personal), choices, line)

    def later_stage(self, stage: str, line: int, field: str) -> None:
        def check() -> None:
            if stage not in self.stages:
                self.r.unknown("stage (or 'start')", stage, [START, *self.stages], line, field)

        self._checks.append(check)

    def read_retention(self) -> Period | None:
        node = self.section("retention")
        if node is None:
            if any(f.personal for f in self.case_fields.values()):
                self.r.problem(self.root.line, "retention", "missing required field 'retention': the definition "
                               "declares personal fields, so say how long they are kept after the case closes, "
                               "such as 'retention: {after_closure: 2 years}'")
            return None
        self.r.keys(node, ("after_closure",), "retention")
        raw = self.r.get(node, "after_closure", "retention", str)
        return self.r.period(raw, node.line_of("after_closure"), "retention.after_closure") if raw else None

    def field_gate(self, value: Any, line: int, field: str) -> FieldGate | None:
        """`when: field X is set` or `when: field X <op> <number | ISO date | today | field Y>`."""
        text = " ".join(value.split()) if isinstance(value, str) else ""
        m = WHEN.match(text)
        if m is None:
            self.r.problem(line, field, f"cannot read {_describe(value)} as a condition; expected 'field <id> is "
                           f"set' or 'field <id> <comparison> <value>' with a comparison of {', '.join(COMPARISONS)}")
            return None
        name, op, operand = m.group(1), "set" if m.group(2) else m.group(3), m.group(4) or ""
        if operand.startswith("field "):
            operand = "field:" + operand[len("field "):]
        gate = FieldGate(name, op, operand)
        self._checks.append(lambda: self._check_gate(gate, line, field))
        return gate

    def _check_gate(self, gate: FieldGate, line: int, field: str) -> None:
        spec = self.case_fields.get(gate.field)
        if spec is None:
            self.r.unknown("field", gate.field, self.case_fields, line, field)
            return
        if gate.op == "set":
            return
        if spec.type not in ("date", "number"):
            self.r.problem(line, field, f"field '{gate.field}' is {spec.type}: only dates and numbers compare; "
                           "use 'is set'")
        elif gate.operand.startswith("field:"):
            other = self.case_fields.get(gate.operand[len("field:"):])
            if other is None:
                self.r.unknown("field", gate.operand[len("field:"):], self.case_fields, line, field)
            elif other.type != spec.type:
                self.r.problem(line, field, f"field '{gate.field}' is a {spec.type} and '{other.id}' a {other.type}: "
                               "they do not compare")
        elif gate.operand == TODAY:
            if spec.type != "date":
                self.r.problem(line, field, f"field '{gate.field}' is a number: compare it with a number, not today")
        elif not IDENTIFIER.match(gate.operand) and comparable(spec, gate.operand) is None:
            example = "2026-03-14" if spec.type == "date" else "3"
            self.r.problem(line, field, f"'{gate.operand}' is not a {spec.type} to compare field '{gate.field}' "
                           f"with; write one like {example}" + (", or 'today'" if spec.type == "date" else ""))
        elif comparable(spec, gate.operand) is None:
            self.r.problem(line, field, f"'{gate.operand}' is not a {spec.type}; to compare with another field "
                           f"write 'field {gate.operand}'")

    def add_required_gates(self) -> None:
        """A transition entering a stage that fields are required at waits for them to be set."""
        for i, t in enumerate(self.transitions):
            extra = tuple(FieldGate(f.id) for f in self.case_fields.values() if f.required_at == t.dest)
            if extra:
                self.transitions[i] = replace(t, gates=(*t.gates, *extra))


def with_fields(samples: list[dict[str, Any]], declared: dict[str, CaseField]) -> list[dict[str, Any]]:
    """Template samples given `fields`: each declared field with a value, and then each empty."""
    filled = {f.id: (f.choices[0] if f.choices else SAMPLES[f.type]) for f in declared.values()}
    empty = dict.fromkeys(declared, "")
    return [{**s, "fields": filled} for s in samples] + [{**samples[0], "fields": empty}]


def undeclared_fields(env: ImmutableSandboxedEnvironment, name: str, declared: dict[str, CaseField]) -> str | None:
    """A template that names `fields.X` (or `fields['X']`) for a field the definition does not declare."""
    source, filename, _ = env.loader.get_source(env, name) if env.loader else ("", None, None)
    tree = env.parse(source, name, filename)
    named = {node.attr for node in tree.find_all(nodes.Getattr)
             if isinstance(node.node, nodes.Name) and node.node.name == "fields"}
    named |= {node.arg.value for node in tree.find_all(nodes.Getitem)
              if isinstance(node.node, nodes.Name) and node.node.name == "fields" and isinstance(node.arg, nodes.Const)}
    unknown = sorted(str(n) for n in named if n not in declared)
    if not unknown:
        return None
    known = ", ".join(declared) or "none"
    return (f"template '{name}' names {', '.join(f'fields.{u}' for u in unknown)}, which the definition does not "
            f"declare under 'fields'{suggest(unknown[0], declared)} (declared: {known})")
