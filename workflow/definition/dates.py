"""Dates as a definition writes them: months, days, nth weekdays, milestones, periods before or after them.

Part of the definition model (`model` imports every name from here).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MonthDate:
    """'August': the last working day of that month in the cycle."""

    month: int


@dataclass(frozen=True)
class DayMonthDate:
    """'3 January': that day in the cycle's occurrence of the month."""

    day: int
    month: int


@dataclass(frozen=True)
class FixedDate:
    """'2022-01-03': an absolute date, for one-off definitions."""

    year: int
    month: int
    day: int


@dataclass(frozen=True)
class NthWeekdayDate:
    """'third Thursday of August': how boards fix their meeting dates."""

    nth: int  # 1..4, or -1 for "last"
    weekday: int  # Monday == 0
    month: int


@dataclass(frozen=True)
class MilestoneDate:
    """'risk_board_august' or '10 working days before risk_board_august'."""

    milestone: str
    working_days: int = 0  # negative: before


PERIOD_UNITS = ("days", "weeks", "months", "years", "working days")


@dataclass(frozen=True)
class Period:
    """'6 weeks', '3 months', '10 working days': a length of time as people say it."""

    amount: int
    unit: str  # one of PERIOD_UNITS

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit.replace("days", "day").rstrip("s")
        return f"{self.amount} {unit}"


ENTERED = "entered"
FIRED = "fired"


@dataclass(frozen=True)
class PeriodDate:
    """'6 weeks after consultation entered', '3 years after order_made', '3 months before in_force'.

    `event` is "" for a planned milestone (a stage's due date or a meeting), ENTERED for when a
    stage was entered, FIRED for when a transition fired: planned until the cycle knows them.
    """

    period: Period
    milestone: str
    event: str = ""
    before: bool = False

    @property
    def key(self) -> str:
        return milestone_key(self.milestone, self.event)


def milestone_key(name: str, event: str = "") -> str:
    """How a timeline names a milestone: 'consultation', 'entered:consultation', 'fired:make_order'."""
    return f"{event}:{name}" if event else name


DateExpr = MonthDate | DayMonthDate | FixedDate | NthWeekdayDate | MilestoneDate | PeriodDate
