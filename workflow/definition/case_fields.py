"""Case data: the fields a definition declares that each instance carries, and how a value is checked.

A field is declared under `fields:` (`loader_fields.py` reads it) with a type (text, date, email, choice,
number), when it is required (`start`, or a stage: the cycle may not enter that stage without it) and
whether it is personal data. A value arrives as text from a form, an API body or `--field name=value`;
`check_value` turns it into the text that is stored, or says in one sentence what is wrong.

Pure: no database and no clock; it does not import the definition model, which imports it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

FIELD_TYPES = ("text", "date", "email", "choice", "number")
FIELDS_PERMISSION = "fields"
"""The permission to set a case's fields after it started; the `start` roles when the definition gives none."""
START = "start"
"""`required_at: start`: the instance cannot be started without it."""
MAX_TEXT = 2000
"""The longest text value, in characters: a name, an address, a short note."""
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
TODAY = "today"
WITHHELD = "(withheld)"
"""What a template, page or list shows in place of a personal value for someone not entitled to it."""


@dataclass(frozen=True)
class CaseField:
    id: str
    title: str
    type: str  # one of FIELD_TYPES
    required_at: str | None = None  # START, a stage id, or None
    personal: bool = False
    choices: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FieldGate:
    """The instance's field is set (`op` "set"), or compares with a number, an ISO date, `today` or another field.

    `when: field panel_size >= 3`, `when: field date_of_death is set`; the loader also adds a "set" gate to
    every transition entering a stage a field is required at.
    """

    field: str
    op: str = "set"  # "set" or one of COMPARISONS
    operand: str = ""  # a literal, TODAY, or "field:<id>"


def check_value(spec: CaseField, raw: object) -> tuple[str | None, str | None]:
    """(the value as stored, None) or (None, one sentence saying what is wrong with it)."""
    text = "" if raw is None else str(raw).strip()
    name = spec.title
    if not text:
        return None, f"Enter {name.lower()}" if spec.type != "choice" else f"Choose {name.lower()}"
    if spec.type == "text":
        if len(text) > MAX_TEXT:
            return None, f"{name} must be {MAX_TEXT:,} characters or fewer"
        if CONTROL.search(text):
            return None, f"{name} must be plain text, without control characters"
        return text, None
    if spec.type == "date":
        parsed = parse_date(text)
        if parsed is None:
            return None, f"{name} must be a real date written as year-month-day, like 2026-03-14"
        return parsed.isoformat(), None
    if spec.type == "number":
        number = parse_number(text)
        if number is None:
            return None, f"{name} must be a number, like 3 or 2.5"
        return text if "e" not in text.lower() else format(number, "f"), None
    if spec.type == "email":
        try:
            checked = validate_email(text, check_deliverability=False)
        except EmailNotValidError as exc:
            reason = str(exc).rstrip(".")
            return None, f"{name} must be an email address, like name@example.org: {reason[:1].lower()}{reason[1:]}"
        return checked.normalized, None
    if text not in spec.choices:
        return None, f"{name} must be one of: {', '.join(spec.choices)}"
    return text, None


def parse_date(text: str) -> dt.date | None:
    if not ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < Decimal("1e15") else None


def check_values(declared: Mapping[str, CaseField],
                 given: Mapping[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """Every given value checked: (the values to store, every problem by field, one sentence each)."""
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, raw in given.items():
        spec = declared.get(name)
        if spec is None:
            known = ", ".join(declared) or "none"
            problems[name] = f"There is no field '{name}' in this definition (its fields: {known})"
            continue
        value, problem = check_value(spec, raw)
        if problem is not None:
            problems[name] = problem
        elif value is not None:
            values[name] = value
    return values, problems


def missing(declared: Mapping[str, CaseField], have: Mapping[str, object], at: str) -> list[CaseField]:
    """The fields required at `at` (START or a stage) that have no value."""
    return [spec for spec in declared.values() if spec.required_at == at and not have.get(spec.id)]


def comparable(spec: CaseField, value: str) -> Decimal | dt.date | None:
    """A stored value as a gate compares it: a number, a date, or None (not comparable)."""
    if spec.type == "number":
        return parse_number(value)
    if spec.type == "date":
        return parse_date(value)
    return None


def compare(left: Decimal | dt.date, op: str, right: Decimal | dt.date) -> bool:
    match op:
        case "==":
            return left == right
        case "!=":
            return left != right
        case "<":
            return left < right  # type: ignore[operator]
        case "<=":
            return left <= right  # type: ignore[operator]
        case ">":
            return left > right  # type: ignore[operator]
        case ">=":
            return left >= right  # type: ignore[operator]
    raise ValueError(f"not a comparison: {op}")


def shown(spec: CaseField, value: str | None, entitled: bool) -> str:
    """A value as a reader sees it: "" when unset, WITHHELD for a personal value they are not entitled to."""
    if not value:
        return ""
    if spec.personal and not entitled:
        return WITHHELD
    if spec.type == "date":
        parsed = parse_date(value)
        return f"{parsed.day} {parsed:%B %Y}" if parsed else value
    return value


def gate_unmet(gate: FieldGate, declared: Mapping[str, CaseField], values: Mapping[str, str],
               today: dt.date) -> str | None:
    """Why a field gate is not met (a sentence naming the field), or None when it is.

    The sentence names the field and what it is compared with; a personal field's value never appears in it.
    """
    spec = declared[gate.field]
    value = values.get(gate.field)
    if not value:
        return f"'{spec.title}' is not set; someone who may set the case's fields sets it"
    if gate.op == "set":
        return None
    left = comparable(spec, value)
    right, said = _operand(gate, declared, values, today)
    if left is None or right is None:
        return f"'{spec.title}' cannot be compared with {said}: {said} is not set"
    if compare(left, gate.op, right):
        return None
    if spec.personal:  # the sentence reaches everyone who reads the cycle: never a personal value in it
        return f"'{spec.title}' must be {_WORDS[gate.op]} {said}"
    return f"'{spec.title}' is {shown(spec, value, True)}, and it must be {_WORDS[gate.op]} {said}"


def describe_gate(gate: FieldGate, declared: Mapping[str, CaseField]) -> str:
    spec = declared.get(gate.field)
    title = spec.title if spec else gate.field
    if gate.op == "set":
        return f"'{title}' is set"
    other = declared.get(gate.operand[len("field:"):]) if gate.operand.startswith("field:") else None
    said = f"'{other.title}'" if other else gate.operand
    return f"'{title}' is {_WORDS[gate.op]} {said}"


_WORDS = {"==": "equal to", "!=": "other than", "<": "less than", "<=": "at most", ">": "more than", ">=": "at least"}


def _operand(gate: FieldGate, declared: Mapping[str, CaseField], values: Mapping[str, str],
             today: dt.date) -> tuple[Decimal | dt.date | None, str]:
    if gate.operand == TODAY:
        return today, f"today ({today.isoformat()})"
    if gate.operand.startswith("field:"):
        other = declared[gate.operand[len("field:"):]]
        value = values.get(other.id)
        return (comparable(other, value) if value else None), f"'{other.title}'"
    spec = declared[gate.field]
    return comparable(spec, gate.operand), gate.operand
