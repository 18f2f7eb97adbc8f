"""The cycle definition model: immutable values that a loaded YAML file becomes.

Nothing here touches a database, a broker or a clock; `loader` builds these from files,
`machine` compiles them and the engine runs cycles on them (`instances`: how they are keyed)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from workflow.definition.agenda import BoardAgenda
from workflow.definition.case_fields import CaseField, FieldGate
from workflow.definition.cases import OUTCOMES, PANEL_COMMAND, Panel, PanelGate
from workflow.definition.dates import (
    ENTERED,
    FIRED,
    PERIOD_UNITS,
    DateExpr,
    DayMonthDate,
    FixedDate,
    MilestoneDate,
    MonthDate,
    NthWeekdayDate,
    Period,
    PeriodDate,
    milestone_key,
)
from workflow.definition.instances import Instances

# The dates a definition writes (`dates`) and what per-case processes add (`cases`) are part of the model, kept in
# modules of their own and imported from here like the rest.
__all__ = ["ENTERED", "FIRED", "OUTCOMES", "PANEL_COMMAND", "PERIOD_UNITS", "DateExpr", "DayMonthDate", "FixedDate",
           "MilestoneDate", "MonthDate", "NthWeekdayDate", "Panel", "PanelGate", "Period", "PeriodDate", "milestone_key"]


class Membership(enum.StrEnum):
    """How a person sits on a board; only voting members count to a decision."""

    VOTING = "voting"
    VOTING_CHAIR = "voting_chair"  # chairs the board and votes
    CHAIR = "chair"  # a non-voting chair, as Safer MK has
    ADVISOR = "advisor"
    OBSERVER = "observer"
    OFFICER = "officer"


SYSTEM_ROLE = "system"  # the role held by the scheduler when it fires a timed transition


# --- lengths and blackout periods -----------------------------------------------


@dataclass(frozen=True)
class Blackout:
    """A named period nothing may overlap (or that lengthens what overlaps it).

    Yearly ones give `yearly` as ((from month, day), (to month, day)), which may cross New
    Year; others list their dates, one (from, to) pair per occurrence.
    """

    id: str
    title: str
    yearly: tuple[tuple[int, int], tuple[int, int]] | None = None
    dates: tuple[tuple[FixedDate, FixedDate], ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Timing:
    """How long a stage or strand must or may run, and the blackout periods it respects."""

    at_least: Period | None = None
    at_most: Period | None = None
    outside: tuple[str, ...] = ()  # blackouts it may not overlap
    extended_by: tuple[str, ...] = ()  # blackouts that lengthen it by their length
    line: int | None = None  # of the stage or strand, for a plan that breaks them
    field: str = ""

    def __bool__(self) -> bool:
        return bool(self.at_least or self.at_most or self.outside or self.extended_by)


# --- directory -------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    title: str
    email: str
    roles: tuple[str, ...]
    name: str = ""  # "Sam Okafor"; letters greet people by it, records tell two observers apart with it

    @property
    def display(self) -> str:
        """How a record names the person: "Sam Okafor, Chief Executive (...)", or the title alone."""
        return f"{self.name}, {self.title}" if self.name else self.title


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    quorum: int
    members: tuple[tuple[str, Membership], ...]
    organiser: str | None = None  # the committee manager who sends the board's meeting invitations
    independent_of: tuple[str, ...] = ()  # boards (or panels) it may share no member with
    minute_prefix: str = ""  # its minutes are numbered SMK10, SMK11, ... across meetings; "" numbers them alone
    agenda: BoardAgenda = field(default_factory=BoardAgenda)  # standard items and notice period of its meetings' agendas

    def with_membership(self, *kinds: Membership) -> tuple[str, ...]:
        return tuple(person for person, kind in self.members if kind in kinds)

    @property
    def voting(self) -> tuple[str, ...]:
        return self.with_membership(Membership.VOTING, Membership.VOTING_CHAIR)

    @property
    def chair(self) -> str | None:
        chairs = self.with_membership(Membership.CHAIR, Membership.VOTING_CHAIR)
        return chairs[0] if chairs else None


@dataclass(frozen=True)
class Meeting:
    id: str
    board: str
    title: str
    date: DateExpr
    start: dt.time | None = None  # None: the definition gives the day only
    minutes: int = 120  # expected length
    venue: str = ""
    remote_link: str = ""  # a video-call address for those who join remotely
    invite: tuple[str, ...] = ()  # case roles whose contacts with an email are sent its invitation, once


# --- gates -----------------------------------------------------------------


@dataclass(frozen=True)
class DecisionGate:
    """The board's latest decision on `item` was carried by a quorum."""

    board: str
    item: str
    quorum: int | None = None  # None: the board's own quorum
    # What the board decides, in the council's words, and whether it agrees a list of priorities with it; words
    # only, so two gates that wait for the same decision are equal whatever they say.
    title: str = field(default="", compare=False)
    priorities: bool = field(default=False, compare=False)
    outcome: str | None = None  # one of OUTCOMES; None: carried, and other outcomes simply wait (not checked)

    @property
    def wanted(self) -> str:  # the outcome waited for, in the definition's words (a key of OUTCOMES)
        return self.outcome or "carried"



@dataclass(frozen=True)
class PapersGate:
    """These named papers are attached to the cycle."""

    papers: tuple[str, ...]


@dataclass(frozen=True)
class NotBeforeGate:
    """The transition may not be fired before this date."""

    date: DateExpr


@dataclass(frozen=True)
class StrandsGate:
    """Every parallel strand of the stage has reached a final state."""

    stage: str


@dataclass(frozen=True)
class MinimumLengthGate:
    """The stage (or one of its strands) has run at least `period` since it was entered."""

    stage: str
    period: Period
    strand: str | None = None


Gate = DecisionGate | PapersGate | NotBeforeGate | StrandsGate | MinimumLengthGate | PanelGate | FieldGate


# --- the machine -------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    title: str = ""
    gates: tuple[Gate, ...] = ()
    documents: tuple[str, ...] = ()
    at: DateExpr | None = None  # a timed transition, fired by the scheduler
    line: int | None = None


@dataclass(frozen=True)
class Lifecycle:
    """The small state machine each parallel strand runs."""

    id: str
    initial: str
    states: tuple[str, ...]
    finals: tuple[str, ...]
    transitions: tuple[Transition, ...]


@dataclass(frozen=True)
class Strand:
    id: str
    title: str
    lifecycle: str
    owner: str | None = None
    due: DateExpr | None = None
    at: tuple[tuple[str, DateExpr], ...] = ()  # timed strand triggers
    timing: Timing = Timing()


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    owner: str | None = None
    board: str | None = None
    due: DateExpr | None = None
    final: bool = False
    strands: tuple[Strand, ...] = ()
    reminders: tuple[str, ...] = ()
    timing: Timing = Timing()
    stays_on: tuple[str, ...] = ()  # outcomes (of OUTCOMES) on which the stage waits for the board's next decision
    panel: Panel | None = None  # a panel chosen for each cycle at this stage

    def strand(self, strand_id: str) -> Strand | None:
        return next((s for s in self.strands if s.id == strand_id), None)


@dataclass(frozen=True)
class Escalation:
    after_working_days: int
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class ReminderRule:
    id: str
    template: str
    recipients: tuple[str, ...]
    before: tuple[int, ...] = ()  # working days before due
    on_due: bool = True
    overdue_every: int | None = None  # working days between overdue reminders
    escalate: tuple[Escalation, ...] = ()


DOCUMENT_SECTIONS = ("reasons", "alternatives", "implications")
"""The council report's sections a document definition may fill in."""


@dataclass(frozen=True)
class DocumentSpec:
    id: str
    title: str
    template: str
    notify: tuple[str, ...] = ()
    purpose: str = ""
    # The council report's own sections the record carries: reasons, alternatives, implications.
    sections: tuple[tuple[str, str], ...] = ()


COMMANDS = ("start", "decide", "attach")
"""Commands whose roles the definition sets under `permissions`."""

ADMIN_COMMANDS = ("migrate", "contacts")
"""Permissions a definition may grant; with none granted, nobody may do them."""


@dataclass(frozen=True)
class Definition:
    id: str
    title: str
    version: int
    starts_in: int  # month the cycle year begins in
    initial: str
    roles: dict[str, str]
    people: dict[str, Person]
    boards: dict[str, Board]
    meetings: dict[str, Meeting]
    papers: dict[str, str]
    stages: dict[str, Stage]
    transitions: tuple[Transition, ...]
    lifecycles: dict[str, Lifecycle]
    reminders: dict[str, ReminderRule]
    documents: dict[str, DocumentSpec]
    permissions: dict[str, tuple[str, ...]]
    description: str = ""
    source: str = field(default="", compare=False, repr=False)
    path: str = field(default="", compare=False)
    checksum: str = field(default="", compare=False)
    blackouts: dict[str, Blackout] = field(default_factory=dict)
    fields: dict[str, CaseField] = field(default_factory=dict)  # case data (`case_fields.py`)
    retention: Period | None = None  # how long after closure personal fields are kept
    instances: Instances = field(default_factory=Instances)  # yearly, or cases with a reference
    case_roles: dict[str, str] = field(default_factory=dict)  # outside parties' parts, by title (`loader_parties`)
    personal_case_roles: frozenset[str] = frozenset()  # the case roles whose mail carries personal fields

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    def is_final(self, stage: str) -> bool:
        return self.stages[stage].final

    def transitions_from(self, stage: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if stage in t.sources)

    def triggers(self) -> set[str]:
        return {t.trigger for t in self.transitions}

    def strand_triggers(self) -> set[str]:
        return {t.trigger for lc in self.lifecycles.values() for t in lc.transitions}

    def trigger_title(self, trigger: str, lifecycle: str | None = None) -> str:
        """The words a person reads for a stage trigger or a strand action (of `lifecycle`), never its id."""
        own = self.lifecycles[lifecycle].transitions if lifecycle in self.lifecycles else \
            (*self.transitions, *(t for lc in self.lifecycles.values() for t in lc.transitions))
        return next((t.title for t in own if t.trigger == trigger and t.title), trigger)

    def item_title(self, board: str, item: str) -> str:
        """What a board decides on, in the definition's words: its gate's title at this board, else at another
        board, else the paper it is named after (the loader refuses an item with none of these)."""
        titled = [g for t in self.transitions for g in t.gates if isinstance(g, DecisionGate) and g.item == item]
        found = [g.title for g in titled if g.board == board and g.title] + [g.title for g in titled if g.title]
        return found[0] if found else self.papers.get(item) or item.replace("_", " ").capitalize()

    @property
    def panels(self) -> dict[str, Panel]:
        """The panels chosen for each cycle, by id, from the stages that declare them."""
        return {s.panel.id: s.panel for s in self.stages.values() if s.panel is not None}

    def roles_of(self, person: str) -> tuple[str, ...]:
        found = self.people.get(person)
        return found.roles if found else ()
