"""Turn a definition file into a `Definition`, or say everything wrong with it.

Every problem names the file, the line and the field, says what was expected
and, for a misspelt name, suggests the nearest valid one. Problems are
collected, not raised one at a time, so an admin fixes a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import yaml
from email_validator import EmailNotValidError, validate_email

from . import yamlfile
from .calendar import MilestoneLoop, Timeline
from .definition import (
    ADMIN_COMMANDS,
    COMMANDS,
    DOCUMENT_SECTIONS,
    ENTERED,
    FIRED,
    SYSTEM_ROLE,
    Blackout,
    Board,
    DateExpr,
    DayMonthDate,
    DecisionGate,
    Definition,
    DocumentSpec,
    Escalation,
    FixedDate,
    Gate,
    Lifecycle,
    Meeting,
    Membership,
    MilestoneDate,
    MinimumLengthGate,
    MonthDate,
    NotBeforeGate,
    NthWeekdayDate,
    PapersGate,
    Period,
    PeriodDate,
    Person,
    ReminderRule,
    Stage,
    Strand,
    StrandsGate,
    Timing,
    Transition,
)
from .errors import DefinitionError, Problem
from .notice_templates import DOCUMENT_SENT, check_notices
from .templating import (
    check_template,
    document_samples,
    make_environment,
    reminder_files,
    reminder_samples,
)
from .yamlfile import YList, YMap

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
    "reminders", "documents", "permissions", "blackouts",
)
RECIPIENT_KINDS = ("board_voting", "board_members", "board_chair", "owner", "role", "person")
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


class _Reader:
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
        self.problem(line, field, f"unknown {kind} '{name}'{hint}")

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
                             f"unknown field '{key}'{suggest(key, allowed)}")

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
                self.problem(line, field, f"unknown month '{m.group(2)}'{suggest(month_name, MONTHS)}")
                return None
            month = MONTHS[month_name]
            try:
                dt.date(2024, month, day)  # a leap year, so 29 February passes here
            except ValueError:
                self.problem(line, field, f"'{text}' is not a day of the month")
                return None
            if (day, month) == (29, 2):
                self.problem(line, field, "'29 February' exists only in leap years; use 'February' (its last "
                             "working day) or '28 February'")
                return None
            return DayMonthDate(day, month)
        if m := NTH_WEEKDAY.match(text):
            weekday, month_name = m.group(2).lower(), m.group(3).lower()
            if weekday not in WEEKDAYS:
                self.problem(line, field, f"unknown weekday '{m.group(2)}'{suggest(weekday, WEEKDAYS)}")
                return None
            if month_name not in MONTHS:
                self.problem(line, field, f"unknown month '{m.group(3)}'{suggest(month_name, MONTHS)}")
                return None
            return NthWeekdayDate(ORDINALS[m.group(1).lower()], WEEKDAYS[weekday], MONTHS[month_name])
        if m := OFFSET.match(text):
            if int(m.group(1)) > MAX_OFFSET:
                self.problem(line, field, f"'{text}' is more than {MAX_OFFSET} working days away")
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
                self.problem(line, field, f"'{text}' is not a real date")
                return None
            return FixedDate(iso.year, iso.month, iso.day)
        hint = suggest(lower, MONTHS)
        self.problem(line, field, f"cannot read '{text}' as a date{hint}; expected {DATE_FORMS}")
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
            self.problem(line, field, f"'{text}' is more than {LONGEST[unit]} {unit}: longer than this engine plans")
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
    return f"'{value}'"


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


def load_definition(path: str | Path, *, templates_dir: Path | None = None) -> Definition:
    """Read and validate a definition file; raise DefinitionError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError([Problem(str(path), None, "file", f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(str(path), None, "file", f"the file is not UTF-8 text: {exc.reason} "
                                       f"at byte {exc.start}")]) from None
    if templates_dir is None:
        templates_dir = path.parent / "templates"
    return parse_definition(text, str(path), templates_dir=templates_dir)


def parse_definition(text: str, path: str = "<definition>", *, templates_dir: Path | None = None) -> Definition:
    reader = _Reader(path, templates_dir)
    try:
        raw = yamlfile.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([Problem(path, mark.line + 1 if mark else None, "yaml", f"not valid YAML: {detail}")]) from None
    except ValueError as exc:  # PyYAML builds `2022-02-30` as a date and lets ValueError out, without a line
        line, value = _unconstructable(text)
        raise DefinitionError([Problem(path, line, "yaml", f"not valid YAML: cannot read '{value}': {exc}")]) from None
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


class _Builder:
    """Builds the definition section by section; cross-references are checked last."""

    def __init__(self, reader: _Reader, root: YMap) -> None:
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
        self.read_blackouts()
        self.read_roles()
        self.read_people()
        self.read_boards()
        self.read_papers()
        self.read_meetings()
        self.read_lifecycles()
        self.read_stages()
        initial = r.get(root, "initial", "", str)
        if initial is not None and initial not in self.stages and "stages" in root:
            r.unknown("stage", initial, self.stages, root.line_of("initial"), "initial")
        self.read_transitions()
        self.add_length_gates()
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
        )

    # -- header -----------------------------------------------------------------

    def cycle(self) -> int:
        node = self.section("cycle")
        if node is None:
            if "cycle" not in self.root:
                self.r.problem(self.root.line, "cycle", "missing required field 'cycle' (with 'starts_in: <month>')")
            return 1
        self.r.keys(node, ("starts_in",), "cycle")
        month = self.r.get(node, "starts_in", "cycle", str)
        if month is None:
            return 1
        if month.lower() not in MONTHS:
            self.r.problem(node.line_of("starts_in"), "cycle.starts_in",
                           f"unknown month '{month}'{suggest(month.lower(), MONTHS)}")
            return 1
        return MONTHS[month.lower()]

    def read_roles(self) -> None:
        for role, text, line in self.r.entries(self.section("roles"), "roles"):
            if role == SYSTEM_ROLE:
                self.r.problem(line, f"roles.{role}", "'system' is reserved for the scheduler")
            elif not isinstance(text, str):
                self.r.problem(line, f"roles.{role}", f"expected a description, got {_describe(text)}")
            else:
                self.roles[role] = text

    def role_refs(self, value: Any, line: int, field: str, *, allow_system: bool = True) -> tuple[str, ...]:
        roles = self.r.names(value, line, field)
        for role in roles:
            if role not in self.roles or (role == SYSTEM_ROLE and not allow_system):
                self.r.unknown("role", role, [x for x in self.roles if x != SYSTEM_ROLE], line, field)
        return tuple(roles)

    def read_people(self) -> None:
        for pid, raw, line in self.r.entries(self.section("people"), "people"):
            field = f"people.{pid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("title", "name", "email", "roles"), field)
            title = self.r.get(node, "title", field, str, default=pid)
            name = self.r.get(node, "name", field, str, required=False, default="")
            email = self.r.get(node, "email", field, str, default="")
            if email and (wrong := email_problem(email)):
                self.r.problem(node.line_of("email"), f"{field}.email", f"{email!r} is not one email address: {wrong}")
            roles = self.role_refs(node.get("roles", []), node.line_of("roles"), f"{field}.roles", allow_system=False)
            self.people[pid] = Person(pid, title, email, roles, name)

    def read_boards(self) -> None:
        kinds = [m.value for m in Membership]
        for bid, raw, line in self.r.entries(self.section("boards"), "boards"):
            field = f"boards.{bid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("name", "quorum", "members", "organiser"), field)
            name = self.r.get(node, "name", field, str, default=bid)
            members_node = self.r.mapping(node.get("members"), node.line_of("members"), f"{field}.members") \
                if "members" in node else None
            if "members" not in node:
                self.r.problem(node.line, f"{field}.members", "missing required field 'members'")
            members: list[tuple[str, Membership]] = []
            for person, kind, mline in self.r.entries(members_node, f"{field}.members"):
                if person not in self.people:
                    self.r.unknown("person", person, self.people, mline, f"{field}.members.{person}")
                if kind not in kinds:
                    self.r.problem(mline, f"{field}.members.{person}",
                                   f"unknown membership '{kind}'{suggest(kind, kinds)}; expected one of {', '.join(kinds)}")
                    continue
                members.append((person, Membership(kind)))
            voting = sum(1 for _, k in members if k in (Membership.VOTING, Membership.VOTING_CHAIR))
            quorum = self.r.get(node, "quorum", field, int, default=1)
            if quorum < 1:
                self.r.problem(node.line_of("quorum"), f"{field}.quorum", "a quorum must be at least 1")
            elif quorum > voting and members_node is not None:
                self.r.problem(node.line_of("quorum"), f"{field}.quorum",
                               f"a quorum of {quorum} is more than the board's {voting} voting members")
            if sum(1 for _, k in members if k in (Membership.CHAIR, Membership.VOTING_CHAIR)) > 1:
                self.r.problem(node.line_of("members"), f"{field}.members", "a board has at most one chair")
            organiser = self.r.get(node, "organiser", field, str, required=False)
            if organiser is not None and organiser not in self.people:
                self.r.unknown("person", organiser, self.people, node.line_of("organiser"), f"{field}.organiser")
                organiser = None
            self.boards[bid] = Board(bid, name, quorum, tuple(members), organiser)

    def read_papers(self) -> None:
        for pid, title, line in self.r.entries(self.section("papers"), "papers"):
            if not isinstance(title, str):
                self.r.problem(line, f"papers.{pid}", f"expected the paper's title, got {_describe(title)}")
                continue
            self.papers[pid] = title

    def board_ref(self, name: Any, line: int, field: str) -> str | None:
        if name is None:
            return None
        if name not in self.boards:
            self.r.unknown("board", name, self.boards, line, field)
        return str(name)

    def read_meetings(self) -> None:
        for mid, raw, line in self.r.entries(self.section("meetings"), "meetings"):
            field = f"meetings.{mid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("board", "title", "date", "start", "end", "duration", "venue", "remote_link"), field)
            board = self.board_ref(self.r.get(node, "board", field, str), node.line_of("board"), f"{field}.board")
            title = self.r.get(node, "title", field, str, required=False, default=mid)
            date = self.r.date(node["date"], node.line_of("date"), f"{field}.date") if "date" in node else None
            if "date" not in node:
                self.r.problem(node.line, f"{field}.date", "missing required field 'date'")
            start, minutes = self.meeting_hours(node, field)
            venue = self.r.get(node, "venue", field, str, required=False, default="")
            link = self.r.get(node, "remote_link", field, str, required=False, default="")
            if link and not REMOTE_LINK.match(link):
                self.r.problem(node.line_of("remote_link"), f"{field}.remote_link",
                               f"'{link}' is not a web address; expected https://...")
            if board is not None and date is not None:
                self.meetings[mid] = Meeting(mid, board, title, date, start, minutes, venue, link)
                self._lines[mid] = line

    def clock_time(self, node: YMap, key: str, field: str) -> dt.time | None:
        """'14:00' as a time of day. Unquoted, YAML 1.1 reads 14:00 as the number 840 (base 60): take it so."""
        if key not in node:
            return None
        value = node[key]
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        if isinstance(value, str) and (match := CLOCK_TIME.match(value.strip())) and int(match[1]) < 24:
            return dt.time(int(match[1]), int(match[2]))
        self.r.problem(node.line_of(key), f"{field}.{key}", f"expected a time of day such as 14:00, got {_describe(value)}")
        return None

    def meeting_hours(self, node: YMap, field: str) -> tuple[dt.time | None, int]:
        """The start, and the length in minutes from `end` (a time) or `duration` (minutes)."""
        start = self.clock_time(node, "start", field)
        end = self.clock_time(node, "end", field)
        if "end" in node and "duration" in node:
            self.r.problem(node.line_of("duration"), f"{field}.duration", "give 'end' or 'duration', not both")
        if ("end" in node or "duration" in node) and "start" not in node:
            self.r.problem(node.line, f"{field}.start", "a meeting with an end or a duration needs a 'start'")
        minutes = self.r.get(node, "duration", field, int, required=False, default=120)
        if "duration" in node and minutes < 1:
            self.r.problem(node.line_of("duration"), f"{field}.duration", "a duration is a number of minutes, at least 1")
        if start is not None and end is not None:
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            if minutes <= 0:
                self.r.problem(node.line_of("end"), f"{field}.end", f"the meeting ends at {end:%H:%M}, "
                               f"not after it starts at {start:%H:%M}")
        return start, max(minutes, 1)

    # -- lifecycles, stages, transitions ------------------------------------------

    def transition(self, raw: Any, line: int, field: str, states: Iterable[str], kind: str,
                   *, allow_gates: bool) -> Transition | None:
        node = self.r.mapping(raw, line, field)
        if node is None:
            return None
        allowed = ["trigger", "source", "dest", "roles", "title"]
        if allow_gates:
            allowed += ["gates", "documents", "at"]
        self.r.keys(node, allowed, field)
        states = list(states)
        trigger = self.r.get(node, "trigger", field, str)
        if trigger is not None and self.r.identifier(trigger, node.line_of("trigger"), f"{field}.trigger"):
            field = f"{field} ({trigger})"
        sources = self.r.names(node["source"], node.line_of("source"), f"{field}.source") if "source" in node else []
        if "source" not in node:
            self.r.problem(node.line, f"{field}.source", "missing required field 'source'")
        for source in sources:
            if source not in states:
                self.r.unknown(kind, source, states, node.line_of("source"), f"{field}.source")
        dest = self.r.get(node, "dest", field, str)
        if dest is not None and dest not in states:
            self.r.unknown(kind, dest, states, node.line_of("dest"), f"{field}.dest")
        at = self.r.date(node["at"], node.line_of("at"), f"{field}.at") if "at" in node else None
        roles = self.role_refs(node.get("roles", []), node.line_of("roles"), f"{field}.roles")
        if "roles" not in node and at is None:
            self.r.problem(node.line, f"{field}.roles", "missing required field 'roles': who may fire this transition?")
        if at is not None and SYSTEM_ROLE not in roles:
            roles = (*roles, SYSTEM_ROLE)
        title = self.r.get(node, "title", field, str, required=False, default="")
        gates: list[Gate] = []
        if allow_gates and "gates" in node:
            gates = self.gates(node["gates"], node.line_of("gates"), f"{field}.gates", sources)
        documents: tuple[str, ...] = ()
        if allow_gates and "documents" in node:
            documents = tuple(self.r.names(node["documents"], node.line_of("documents"), f"{field}.documents"))
            self.later("document", documents, "documents", node.line_of("documents"), f"{field}.documents")
        if trigger is None or dest is None:
            return None
        return Transition(trigger, tuple(sources), dest, roles, title, tuple(gates), documents, at, line)

    def gates(self, raw: Any, line: int, field: str, sources: list[str]) -> list[Gate]:
        if not isinstance(raw, YList):
            self.r.problem(line, field, f"expected a list of gates, got {_describe(raw)}")
            return []
        kinds = ("decision", "papers", "not_before", "strands_complete")
        gates: list[Gate] = []
        for i, item in enumerate(raw):
            gline, gfield = raw.line_of(i), f"{field}[{i}]"
            node = self.r.mapping(item, gline, gfield)
            if node is None:
                continue
            if len(node) != 1 or next(iter(node)) not in kinds:
                names = ", ".join(map(str, node)) or "nothing"
                hint = suggest(next(iter(node)), kinds) if len(node) == 1 else ""
                self.r.problem(gline, gfield, f"a gate is one of {', '.join(kinds)}; got {names}{hint}")
                continue
            kind, value = next(iter(node.items()))
            gate = self.gate(kind, value, node.line_of(kind), f"{gfield}.{kind}", sources)
            if gate is not None:
                gates.append(gate)
        return gates

    def gate(self, kind: str, value: Any, line: int, field: str, sources: list[str]) -> Gate | None:
        if kind == "decision":
            node = self.r.mapping(value, line, field)
            if node is None:
                return None
            self.r.keys(node, ("board", "item", "quorum"), field)
            board = self.board_ref(self.r.get(node, "board", field, str), node.line_of("board"), f"{field}.board")
            item = self.r.get(node, "item", field, str)
            if item is not None:
                self.r.identifier(item, node.line_of("item"), f"{field}.item")
            quorum = self.r.get(node, "quorum", field, int, required=False)
            if board in self.boards and quorum is not None:
                voting = len(self.boards[board].voting)
                if quorum > voting:
                    self.r.problem(node.line_of("quorum"), f"{field}.quorum",
                                   f"a quorum of {quorum} is more than the {voting} voting members of '{board}'")
                elif quorum < 1:
                    self.r.problem(node.line_of("quorum"), f"{field}.quorum", "a quorum must be at least 1")
            return DecisionGate(board, item, quorum) if board and item else None
        if kind == "papers":
            papers = self.r.names(value, line, field)
            for paper in papers:
                if paper not in self.papers:
                    self.r.unknown("paper", paper, self.papers, line, field)
            return PapersGate(tuple(papers))
        if kind == "not_before":
            date = self.r.date(value, line, field)
            return NotBeforeGate(date) if date else None
        # strands_complete: `true` means the transition's own source stage.
        if value is True:
            if len(sources) != 1:
                self.r.problem(line, field, "name the stage whose strands must be complete: the transition has several sources")
                return None
            stage = sources[0]
        elif isinstance(value, str):
            stage = value
        else:
            self.r.problem(line, field, f"expected true or a stage id, got {_describe(value)}")
            return None
        self._checks.append(lambda: self.check_strands_gate(stage, line, field))
        return StrandsGate(stage)

    def check_strands_gate(self, stage: str, line: int, field: str) -> None:
        if stage not in self.stages:
            self.r.unknown("stage", stage, self.stages, line, field)
        elif not self.stages[stage].strands:
            self.r.problem(line, field, f"stage '{stage}' has no strands to complete")

    def read_lifecycles(self) -> None:
        for lid, raw, line in self.r.entries(self.section("lifecycles"), "lifecycles"):
            field = f"lifecycles.{lid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("initial", "final", "transitions"), field)
            initial = self.r.get(node, "initial", field, str)
            finals = self.r.names(node.get("final", []), node.line_of("final"), f"{field}.final")
            if not finals:
                self.r.problem(node.line_of("final"), f"{field}.final", "a lifecycle needs at least one final state")
            raw_ts = node.get("transitions")
            if not isinstance(raw_ts, YList) or not raw_ts:
                self.r.problem(node.line_of("transitions"), f"{field}.transitions", "expected a list of transitions")
                continue
            states: list[str] = [initial] if initial else []
            for item in raw_ts:
                if isinstance(item, dict):
                    for key in ("source", "dest"):
                        value = item.get(key)
                        for s in ([value] if isinstance(value, str) else value if isinstance(value, list) else []):
                            if isinstance(s, str) and s not in states:
                                states.append(s)
            for s in finals:
                if s not in states:
                    self.r.unknown("state", s, states, node.line_of("final"), f"{field}.final")
            transitions = [
                t for i, item in enumerate(raw_ts)
                if (t := self.transition(item, raw_ts.line_of(i), f"{field}.transitions[{i}]", states, "state",
                                         allow_gates=False)) is not None
            ]
            self.check_ambiguous(transitions, f"{field}.transitions")
            if initial:
                self.lifecycles[lid] = Lifecycle(lid, initial, tuple(states), tuple(finals), tuple(transitions))

    def read_stages(self) -> None:
        node = self.section("stages")
        if node is None:
            if "stages" not in self.root:
                self.r.problem(self.root.line, "stages", "missing required field 'stages'")
            return
        for sid, raw, line in self.r.entries(node, "stages"):
            field = f"stages.{sid}"
            snode = self.r.mapping(raw, line, field)
            if snode is None:
                continue
            self.r.keys(snode, ("title", "owner", "board", "due", "final", "strands", "reminders", *TIMING_FIELDS), field)
            title = self.r.get(snode, "title", field, str)
            owner = self.r.get(snode, "owner", field, str, required=False)
            if owner is not None:
                self.role_refs(owner, snode.line_of("owner"), f"{field}.owner", allow_system=False)
            board = self.board_ref(self.r.get(snode, "board", field, str, required=False),
                                   snode.line_of("board"), f"{field}.board")
            due = self.r.date(snode["due"], snode.line_of("due"), f"{field}.due") if "due" in snode else None
            final = self.r.get(snode, "final", field, bool, required=False, default=False)
            reminders = tuple(self.r.names(snode.get("reminders", []), snode.line_of("reminders"), f"{field}.reminders"))
            self.later("reminder rule", reminders, "reminders", snode.line_of("reminders"), f"{field}.reminders")
            strands = self.read_strands(snode, field)
            self.stages[sid] = Stage(sid, title or sid, owner, board, due, final, tuple(strands), reminders,
                                     timing=self.timing(snode, line, field))
            self._lines[sid] = line

    def read_strands(self, snode: YMap, field: str) -> list[Strand]:
        if "strands" not in snode:
            return []
        strands: list[Strand] = []
        for sid, raw, line in self.r.entries(self.r.mapping(snode["strands"], snode.line_of("strands"),
                                                            f"{field}.strands"), f"{field}.strands"):
            sfield = f"{field}.strands.{sid}"
            node = self.r.mapping(raw, line, sfield)
            if node is None:
                continue
            self.r.keys(node, ("title", "lifecycle", "owner", "due", "at", *TIMING_FIELDS), sfield)
            title = self.r.get(node, "title", sfield, str, default=sid)
            lifecycle = self.r.get(node, "lifecycle", sfield, str)
            if lifecycle is not None and lifecycle not in self.lifecycles:
                self.r.unknown("lifecycle", lifecycle, self.lifecycles, node.line_of("lifecycle"), f"{sfield}.lifecycle")
            owner = self.r.get(node, "owner", sfield, str, required=False)
            if owner is not None:
                self.role_refs(owner, node.line_of("owner"), f"{sfield}.owner", allow_system=False)
            due = self.r.date(node["due"], node.line_of("due"), f"{sfield}.due") if "due" in node else None
            timed: list[tuple[str, DateExpr]] = []
            if "at" in node:
                at_node = self.r.mapping(node["at"], node.line_of("at"), f"{sfield}.at")
                for trigger, when in (at_node or {}).items():
                    aline = at_node.line_of(trigger) if at_node else line
                    known = {t.trigger for t in self.lifecycles[lifecycle].transitions} \
                        if lifecycle in self.lifecycles else set()
                    if lifecycle in self.lifecycles and trigger not in known:
                        self.r.unknown("trigger", trigger, known, aline, f"{sfield}.at.{trigger}")
                    date = self.r.date(when, aline, f"{sfield}.at.{trigger}")
                    if date is not None:
                        timed.append((str(trigger), date))
            strands.append(Strand(sid, title, lifecycle or "", owner, due, tuple(timed),
                                  timing=self.timing(node, line, sfield)))
        return strands

    def read_transitions(self) -> None:
        raw = self.root.get("transitions")
        line = self.root.line_of("transitions")
        if not isinstance(raw, YList) or not raw:
            self.r.problem(line, "transitions", f"expected a list of transitions, got {_describe(raw)}")
            return
        for i, item in enumerate(raw):
            t = self.transition(item, raw.line_of(i), f"transitions[{i}]", self.stages, "stage", allow_gates=True)
            if t is not None:
                self.transitions.append(t)
        self.check_ambiguous(self.transitions, "transitions")

    def check_ambiguous(self, transitions: list[Transition], field: str) -> None:
        seen: dict[tuple[str, str, str], Transition] = {}
        unguarded: dict[tuple[str, str], Transition] = {}
        for t in transitions:
            for source in t.sources:
                key = (t.trigger, source, t.dest)
                if key in seen:
                    self.r.problem(t.line, field, f"duplicate transition: '{t.trigger}' from '{source}' to "
                                   f"'{t.dest}' is already defined on line {seen[key].line}")
                    continue
                seen[key] = t
                if not t.gates:
                    if (t.trigger, source) in unguarded:
                        first = unguarded[(t.trigger, source)]
                        self.r.problem(t.line, field, f"two unguarded transitions for trigger '{t.trigger}' from "
                                       f"'{source}' (the other is on line {first.line}): give one a gate")
                    else:
                        unguarded[(t.trigger, source)] = t

    # -- reminders, documents, permissions ---------------------------------------

    def recipients(self, value: Any, line: int, field: str) -> tuple[str, ...]:
        names = self.r.names(value, line, field)
        for name in names:
            kind, _, arg = name.partition(":")
            if kind not in RECIPIENT_KINDS:
                self.r.problem(line, field, f"unknown recipient '{name}'{suggest(kind, RECIPIENT_KINDS)}; expected "
                               "board_voting, board_members, board_chair (each optionally ':<board>'), owner, "
                               "role:<role> or person:<person>")
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
            wrong = check_template(env, name, samples) if samples else None
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
            to = self.recipients(node.get("to"), node.line_of("to"), f"{field}.to") if "to" in node else ()
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

    def read_permissions(self) -> None:
        node = self.section("permissions")
        for command in COMMANDS:
            self.permissions[command] = ()
        if node is None:
            self.r.problem(self.root.line, "permissions",
                           "missing required field 'permissions': which roles may start, decide and attach?")
            return
        self.r.keys(node, (*COMMANDS, *ADMIN_COMMANDS), "permissions")
        for command in ADMIN_COMMANDS:
            if command in node:
                self.permissions[command] = self.role_refs(node[command], node.line_of(command),
                                                           f"permissions.{command}", allow_system=False)
        for command in COMMANDS:
            if command not in node:
                self.r.problem(node.line, f"permissions.{command}", f"missing required field '{command}'")
                continue
            self.permissions[command] = self.role_refs(node[command], node.line_of(command),
                                                       f"permissions.{command}", allow_system=False)

    # -- lengths and blackout periods ---------------------------------------------

    def read_blackouts(self) -> None:
        for bid, raw, line in self.r.entries(self.section("blackouts"), "blackouts"):
            field = f"blackouts.{bid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("title", "from", "to", "dates"), field)
            title = self.r.get(node, "title", field, str, default=bid)
            yearly = None
            if "from" in node or "to" in node:
                ends = []
                for key in ("from", "to"):
                    date = self.r.date(node[key], node.line_of(key), f"{field}.{key}") if key in node else None
                    if key not in node:
                        self.r.problem(node.line, f"{field}.{key}", f"missing required field '{key}'")
                    elif date is not None and not isinstance(date, DayMonthDate):
                        self.r.problem(node.line_of(key), f"{field}.{key}", "a yearly blackout runs between a day "
                                       "and month ('24 December'); list one-off periods under 'dates'")
                    elif isinstance(date, DayMonthDate):
                        ends.append((date.month, date.day))
                if len(ends) == 2:
                    yearly = (ends[0], ends[1])
            dates: list[tuple[FixedDate, FixedDate]] = []
            raw_dates = node.get("dates", [])
            if not isinstance(raw_dates, list):
                self.r.problem(node.line_of("dates"), f"{field}.dates", "expected a list of {from: DATE, to: DATE}")
                raw_dates = []
            for i, item in enumerate(raw_dates):
                dline = raw_dates.line_of(i) if isinstance(raw_dates, YList) else line
                dfield = f"{field}.dates[{i}]"
                dnode = self.r.mapping(item, dline, dfield)
                if dnode is None:
                    continue
                self.r.keys(dnode, ("from", "to"), dfield)
                pair = [self.r.get(dnode, key, dfield, dt.date) for key in ("from", "to")]
                if pair[0] is not None and pair[1] is not None:
                    if pair[1] < pair[0]:
                        self.r.problem(dnode.line_of("to"), f"{dfield}.to", f"the period ends ({pair[1]}) before it "
                                       f"begins ({pair[0]})")
                        continue
                    dates.append((FixedDate(pair[0].year, pair[0].month, pair[0].day),
                                  FixedDate(pair[1].year, pair[1].month, pair[1].day)))
            if not any(key in node for key in ("from", "to", "dates")):
                self.r.problem(node.line, field, "a blackout needs 'from' and 'to' (yearly, such as 24 December "
                               "to 2 January) or a list of 'dates'")
            self.blackouts[bid] = Blackout(bid, title, yearly, tuple(dates), line)

    def timing(self, node: YMap, line: int, field: str) -> Timing:
        """A stage's or strand's at_least, at_most, outside and extended_by."""
        lengths: dict[str, Period | None] = {}
        for key in ("at_least", "at_most"):
            lengths[key] = self.r.period(node[key], node.line_of(key), f"{field}.{key}") if key in node else None
        shortest, longest = lengths["at_least"], lengths["at_most"]
        if shortest and longest and shortest.unit == longest.unit and shortest.amount > longest.amount:
            self.r.problem(node.line_of("at_most"), f"{field}.at_most",
                           f"at_most ({longest}) is shorter than at_least ({shortest})")
        named: dict[str, tuple[str, ...]] = {}
        for key in ("outside", "extended_by"):
            names = tuple(self.r.names(node[key], node.line_of(key), f"{field}.{key}")) if key in node else ()
            for name in names:
                if name not in self.blackouts:
                    self.r.unknown("blackout", name, self.blackouts, node.line_of(key), f"{field}.{key}")
            named[key] = names
        both = set(named["outside"]) & set(named["extended_by"])
        if both:
            self.r.problem(node.line_of("extended_by"), f"{field}.extended_by",
                           f"'{sorted(both)[0]}' is both avoided (outside) and allowed to extend it (extended_by): "
                           "choose one")
        if named["extended_by"] and ".strands." in field:
            self.r.problem(node.line_of("extended_by"), f"{field}.extended_by",
                           "extended_by lengthens a stage's due date; a strand follows its stage")
        return Timing(shortest, longest, named["outside"], named["extended_by"], line, field)

    def add_length_gates(self) -> None:
        """Every transition leaving a stage with at_least waits for it: the engine's gate, not a convention."""
        for i, t in enumerate(self.transitions):
            extra = tuple(MinimumLengthGate(source, self.stages[source].timing.at_least)  # type: ignore[arg-type]
                          for source in t.sources
                          if source in self.stages and self.stages[source].timing.at_least is not None)
            if extra:
                self.transitions[i] = replace(t, gates=(*t.gates, *extra))

    def check_events(self) -> None:
        """'<stage> entered' names a stage, '<trigger> fired' a transition of the cycle."""
        triggers = {t.trigger for t in self.transitions}
        for event, name, line, field in self.r.event_refs:
            if event == ENTERED and name not in self.stages:
                self.r.unknown("stage", name, self.stages, line, field)
            elif event == FIRED and name not in triggers:
                self.r.unknown("trigger (a transition of the cycle)", name, triggers, line, field)

    # -- whole-graph checks -------------------------------------------------------

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

    def check_milestones(self, initial: str | None, starts_in: int) -> None:
        dated = {s.id for s in self.stages.values() if s.due is not None} | set(self.meetings)
        bad = False
        for name, line, field in self.r.milestone_refs:
            if name not in dated:
                month = difflib.get_close_matches(name, list(MONTHS), n=1, cutoff=0.7)
                if month and not suggest(name, dated):
                    self.r.problem(line, field, f"cannot read '{name}' as a date — did you mean '{month[0].title()}'?")
                else:
                    kind = "milestone (a meeting, or a stage with a due date)"
                    self.r.unknown(kind, name, dated, line, field)
                bad = True
        if bad or self.r.problems:
            return
        probe = Definition(
            id="probe", title="", version=1, starts_in=starts_in, initial=initial or "", roles={}, people={},
            boards={}, meetings=self.meetings, papers={}, stages=self.stages, transitions=tuple(self.transitions),
            lifecycles={}, reminders={}, documents={}, permissions={}, blackouts=self.blackouts,
        )
        timeline = Timeline(probe, 2000)
        for name in sorted(dated):
            try:
                timeline.milestone(name)
            except MilestoneLoop as exc:
                # Report a milestone in the loop, not one that merely depends on it.
                first = next((n for n in exc.names if ":" not in n), exc.names[0])
                self.r.problem(self._lines.get(first), f"{'meetings' if first in self.meetings else 'stages'}.{first}",
                               str(exc))
                return
            except (ValueError, OverflowError) as exc:
                self.r.problem(self._lines.get(name), f"{'meetings' if name in self.meetings else 'stages'}.{name}",
                               str(exc))
                return

    def check_graph(self, initial: str) -> None:
        finals = [s for s in self.stages.values() if s.final]
        if not finals:
            self.r.problem(self.root.line_of("stages"), "stages",
                           "no final stage: mark the stage that ends the cycle with 'final: true'")
        outgoing: dict[str, list[str]] = {s: [] for s in self.stages}
        for t in self.transitions:
            for source in t.sources:
                if source in outgoing:
                    outgoing[source].append(t.dest)
        for stage in finals:
            if outgoing[stage.id]:
                self.r.problem(self._lines.get(stage.id), f"stages.{stage.id}",
                               f"final stage '{stage.id}' has outgoing transitions; a final stage ends the cycle")
        reached = {initial}
        todo = [initial]
        while todo:
            for dest in outgoing.get(todo.pop(), []):
                if dest not in reached:
                    reached.add(dest)
                    todo.append(dest)
        for sid in self.stages:
            if sid not in reached:
                self.r.problem(self._lines.get(sid), f"stages.{sid}", f"stage '{sid}' cannot be reached from the "
                               f"initial stage '{initial}'")
            elif not self.stages[sid].final and not outgoing[sid]:
                self.r.problem(self._lines.get(sid), f"stages.{sid}", f"stage '{sid}' is a dead end: it is not "
                               "final and no transition leaves it")
