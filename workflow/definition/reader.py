"""Reading a definition file's values with their lines: types, names, dates and periods, each problem
named by file, line and field.
"""


from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email

from workflow.definition.model import (
    DateExpr,
    DayMonthDate,
    FixedDate,
    MilestoneDate,
    MonthDate,
    NthWeekdayDate,
    Period,
    PeriodDate,
)
from workflow.definition.yamlfile import YMap
from workflow.errors import Problem, quoted

T = TypeVar("T")

MONTHS = {name.lower(): i for i, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July",
     "August", "September", "October", "November", "December"], start=1)}
WEEKDAYS = {name: i for i, name in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
ONE_LINE = ("title", "name", "email", "venue", "remote_link")
CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
REMOTE_LINK = re.compile(r"^https://[^\s]+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
OFFSET = re.compile(r"^(\d+)\s+working\s+days?\s+(before|after)\s+([a-z][a-z0-9_]*)$", re.I)
DAY_MONTH = re.compile(r"^(\d{1,2})\s+([a-z]+)$", re.I)
MAX_OFFSET = 366  # working days; more than a cycle year is a typo, and would take long to count
NTH_WEEKDAY = re.compile(r"^(first|second|third|fourth|last)\s+([a-z]+)\s+of\s+([a-z]+)$", re.I)
# '6 weeks', '3 calendar months', '10 working days'
PERIOD = re.compile(r"^(\d+)\s+(?:calendar\s+)?(day|week|month|year|working\s+day)s?$", re.I)
# '6 weeks after consultation entered', '3 years after order_made', '2 days after open_consultation fired'
PERIOD_OFFSET = re.compile(r"^(\d+\s+(?:calendar\s+)?(?:days?|weeks?|months?|years?|working\s+days?))\s+(before|after)\s+([a-z][a-z0-9_]*)"
                           r"(?:\s+(entered|fired))?$", re.I)
EVENT = re.compile(r"^([a-z][a-z0-9_]*)\s+(entered|fired)$", re.I)
LONGEST = {"days": 3660, "weeks": 520, "months": 120, "years": 10, "working days": MAX_OFFSET}

TOP_LEVEL = (
    "id", "title", "version", "description", "cycle", "roles", "people", "boards",
    "meetings", "papers", "initial", "stages", "transitions", "lifecycles",
    "reminders", "documents", "permissions", "blackouts", "case_roles", "fields", "retention",
    "instances", "reference",
)
RECIPIENT_KINDS = ("board_voting", "board_members", "board_chair", "owner", "role", "person", "case_role")
DATE_FORMS = (
    "a month ('August'), a day and month ('3 January'), an ISO date ('2022-01-03'), "
    "'third Thursday of August', a milestone id, 'N working days before|after <milestone>', "
    "'N days|weeks|months|years before|after <milestone>', or '<stage> entered' / '<trigger> fired' "
    "in place of a milestone"
)
TIMING_FIELDS = ("at_least", "at_most", "outside", "extended_by")


def suggest(name: object, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


class Reader:
    """Reads one definition file, collecting problems as it goes."""

    def __init__(self, path: str, templates_dir: Path | None) -> None:
        self.path = path
        self.templates_dir = templates_dir
        self.problems: list[Problem] = []
        # Names checked once everything is read: (kind, name, line, field).
        self.milestone_refs: list[tuple[str, int, str]] = []
        # 'entered' / 'fired' milestones, checked against stages and triggers: (event, name, line, field).
        self.event_refs: list[tuple[str, str, int, str]] = []

    # -- reporting ------------------------------------------------------------

    def problem(self, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, field, message))

    def unknown(self, kind: str, name: object, known: Iterable[str], line: int, field: str) -> None:
        known = list(known)
        hint = suggest(name, known)
        if not hint and known:
            listed = ", ".join(f"'{k}'" for k in sorted(known)[:8])
            hint = f" (known: {listed}{', ...' if len(known) > 8 else ''})"
        self.problem(line, field, f"unknown {kind} {quoted(name)}{hint}")

    # -- typed access ---------------------------------------------------------

    def mapping(self, value: Any, line: int, field: str) -> YMap | None:
        if isinstance(value, YMap):
            for key, dup_line in value.duplicates:
                self.problem(dup_line, f"{field}.{key}", f"duplicate key '{key}': it is already defined on line {value.line_of(key)}")
            return value
        self.problem(line, field, f"expected a mapping, got {_describe(value)}")
        return None

    def keys(self, node: YMap, allowed: Iterable[str], field: str) -> None:
        allowed = tuple(allowed)
        for key in node:
            if key not in allowed:
                self.problem(node.line_of(key), f"{field}.{key}" if field else str(key),
                             f"unknown field {quoted(key)}{suggest(key, allowed)}")

    def get(
        self, node: YMap, key: str, field: str, kind: type[T] | tuple[type, ...], *,
        required: bool = True, default: Any = None,
    ) -> Any:
        where = f"{field}.{key}" if field else key
        if key not in node:
            if required:
                self.problem(node.line, where, f"missing required field '{key}'")
            return default
        value = node[key]
        # bool is an int in Python; a version of `true` is still wrong.
        if isinstance(value, bool) and kind in (int, (int,)):
            value = object()
        if not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem(node.line_of(key), where, f"expected {_noun(expected)}, got {_describe(node[key])}")
            return default
        if key in ONE_LINE and isinstance(value, str) and CONTROL.search(value):
            # Names and titles go into email headers and document headings: one line, no control characters.
            self.problem(node.line_of(key), where, f"'{key}' must be a single line of text without control characters")
            return default
        return value

    def identifier(self, name: Any, line: int, field: str) -> bool:
        if isinstance(name, str) and IDENTIFIER.match(name):
            return True
        self.problem(line, field, f"'{name}' is not a valid id: use lower case letters, digits and underscores, starting with a letter")
        return False

    def names(self, value: Any, line: int, field: str) -> list[str]:
        """A list of names, or one name standing alone."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        self.problem(line, field, f"expected a name or a list of names, got {_describe(value)}")
        return []

    def entries(self, node: YMap | None, field: str) -> Iterable[tuple[str, Any, int]]:
        if node is None:
            return
        for key, value in node.items():
            line = node.line_of(key)
            if self.identifier(key, line, f"{field}.{key}"):
                yield key, value, line

    # -- dates ----------------------------------------------------------------

    def date(self, value: Any, line: int, field: str) -> DateExpr | None:
        if isinstance(value, dt.date):
            return FixedDate(value.year, value.month, value.day)
        if not isinstance(value, str):
            self.problem(line, field, f"expected a date: {DATE_FORMS}; got {_describe(value)}")
            return None
        text = " ".join(value.split())
        lower = text.lower()
        if lower in MONTHS:
            return MonthDate(MONTHS[lower])
        if m := DAY_MONTH.match(text):
            day, month_name = int(m.group(1)), m.group(2).lower()
            if month_name not in MONTHS:
                self.problem(line, field, f"unknown month {quoted(m.group(2))}{suggest(month_name, MONTHS)}")
                return None
            month = MONTHS[month_name]
            try:
                dt.date(2024, month, day)  # a leap year, so 29 February passes here
            except ValueError:
                self.problem(line, field, f"{quoted(text)} is not a day of the month")
                return None
            if (day, month) == (29, 2):
                self.problem(line, field, "'29 February' exists only in leap years; use 'February' (its last "
                             "working day) or '28 February'")
                return None
            return DayMonthDate(day, month)
        if m := NTH_WEEKDAY.match(text):
            weekday, month_name = m.group(2).lower(), m.group(3).lower()
            if weekday not in WEEKDAYS:
                self.problem(line, field, f"unknown weekday {quoted(m.group(2))}{suggest(weekday, WEEKDAYS)}")
                return None
            if month_name not in MONTHS:
                self.problem(line, field, f"unknown month {quoted(m.group(3))}{suggest(month_name, MONTHS)}")
                return None
            return NthWeekdayDate(ORDINALS[m.group(1).lower()], WEEKDAYS[weekday], MONTHS[month_name])
        if m := OFFSET.match(text):
            if int(m.group(1)) > MAX_OFFSET:
                self.problem(line, field, f"{quoted(text)} is more than {MAX_OFFSET} working days away")
                return None
            days = int(m.group(1)) * (-1 if m.group(2).lower() == "before" else 1)
            self.milestone_refs.append((m.group(3), line, field))
            return MilestoneDate(m.group(3), days)
        if m := PERIOD_OFFSET.match(text):
            period = self.period(m.group(1), line, field)
            if period is None:
                return None
            return self.period_date(period, m.group(3), (m.group(4) or "").lower(), m.group(2).lower() == "before",
                                    line, field)
        if m := EVENT.match(text):
            return self.period_date(Period(0, "days"), m.group(1), m.group(2).lower(), False, line, field)
        if IDENTIFIER.match(text):
            self.milestone_refs.append((text, line, field))
            return MilestoneDate(text, 0)
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            try:
                iso = dt.date.fromisoformat(text)
            except ValueError:
                self.problem(line, field, f"{quoted(text)} is not a real date")
                return None
            return FixedDate(iso.year, iso.month, iso.day)
        hint = suggest(lower, MONTHS)
        self.problem(line, field, f"cannot read {quoted(text)} as a date{hint}; expected {DATE_FORMS}")
        return None


    def period_date(self, period: Period, name: str, event: str, before: bool, line: int, field: str) -> PeriodDate:
        if event:
            self.event_refs.append((event, name, line, field))
        else:
            self.milestone_refs.append((name, line, field))
        return PeriodDate(period, name, event, before)

    def period(self, value: Any, line: int, field: str) -> Period | None:
        """'6 weeks', '3 months', '1 year', '10 working days'."""
        text = " ".join(str(value).split()) if isinstance(value, str) else ""
        m = PERIOD.match(text)
        if m is None:
            self.problem(line, field, f"cannot read {_describe(value)} as a length of time; expected a whole number "
                         "and days, weeks, months, years or working days, such as '6 weeks'")
            return None
        unit = " ".join(m.group(2).lower().split()) + "s"
        amount = int(m.group(1))
        if amount > LONGEST[unit]:
            self.problem(line, field, f"{quoted(text)} is more than {LONGEST[unit]} {unit}: longer than this engine plans")
            return None
        return Period(amount, unit)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return quoted(value)


def email_problem(address: str) -> str | None:
    """Why `address` is not exactly one deliverable-looking address (syntax only, no DNS), or None."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc).rstrip(".")
    return None


def _noun(type_name: str) -> str:
    return {"str": "text", "int": "a whole number", "bool": "true or false",
            "list": "a list", "dict": "a mapping"}.get(type_name, type_name)
