"""Dates of a cycle: months of the cycle year, working days, bank holidays.

A definition says "August", "3 January", "third Thursday of September" or
"10 working days before risk_board_february"; this module turns those into
dates for a given cycle year, skipping weekends and England and Wales bank
holidays.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from collections.abc import Mapping
from functools import lru_cache

import holidays

from .definition import (
    DateExpr,
    DayMonthDate,
    Definition,
    FixedDate,
    MilestoneDate,
    MonthDate,
    NthWeekdayDate,
)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    # Wales keeps England's bank holidays; the ENG subdivision is the pair's calendar.
    found = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(found.keys())


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """Move `count` working days from `day` (backwards when negative)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += dt.timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`; negative if end is earlier."""
    if end == start:
        return 0
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign > 0 else (end, start)
    count = 0
    current = lo
    while current < hi:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return sign * count


def last_working_day(year: int, month: int) -> dt.date:
    day = dt.date(year, month, _stdlib_calendar.monthrange(year, month)[1])
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def calendar_year(starts_in: int, cycle_year: int, month: int) -> int:
    """The calendar year a month falls in, for a cycle starting in `starts_in`."""
    return cycle_year if month >= starts_in else cycle_year + 1


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> dt.date:
    days = [
        dt.date(year, month, d)
        for d in range(1, _stdlib_calendar.monthrange(year, month)[1] + 1)
        if dt.date(year, month, d).weekday() == weekday
    ]
    return days[-1] if nth == -1 else days[nth - 1]


class MilestoneLoop(ValueError):
    """Milestone dates that refer to each other in a loop; `names` is the loop itself."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        super().__init__("milestone dates refer to each other in a loop: " + " -> ".join(names))


class Timeline:
    """The dated milestones (stages' due dates and meetings) of one cycle year."""

    def __init__(self, definition: Definition, cycle_year: int) -> None:
        self.definition = definition
        self.cycle_year = cycle_year
        self._dates: dict[str, dt.date] = {}

    def _milestones(self) -> Mapping[str, DateExpr | None]:
        found: dict[str, DateExpr | None] = {
            stage.id: stage.due for stage in self.definition.stages.values()
        }
        found.update({m.id: m.date for m in self.definition.meetings.values()})
        return found

    def resolve(self, expr: DateExpr, _seen: tuple[str, ...] = ()) -> dt.date:
        starts_in = self.definition.starts_in
        match expr:
            case MonthDate(month):
                return last_working_day(calendar_year(starts_in, self.cycle_year, month), month)
            case DayMonthDate(day, month):
                return dt.date(calendar_year(starts_in, self.cycle_year, month), month, day)
            case FixedDate(year, month, day):
                return dt.date(year, month, day)
            case NthWeekdayDate(nth, weekday, month):
                year = calendar_year(starts_in, self.cycle_year, month)
                return nth_weekday(year, month, nth, weekday)
            case MilestoneDate(milestone, offset):
                return add_working_days(self.milestone(milestone, _seen), offset)
        raise TypeError(f"not a date expression: {expr!r}")

    def milestone(self, name: str, _seen: tuple[str, ...] = ()) -> dt.date:
        if name in self._dates:
            return self._dates[name]
        if name in _seen:
            raise MilestoneLoop((*_seen[_seen.index(name):], name))
        expr = self._milestones().get(name)
        if expr is None:
            raise KeyError(name)
        self._dates[name] = self.resolve(expr, (*_seen, name))
        return self._dates[name]

    def stage_due(self, stage: str) -> dt.date | None:
        return self.milestone(stage) if self.definition.stages[stage].due else None

    def dated(self) -> list[tuple[dt.date, str, str]]:
        """Every dated milestone as (date, id, title), in date order."""
        rows: list[tuple[dt.date, str, str]] = []
        for stage in self.definition.stages.values():
            if stage.due is not None:
                rows.append((self.milestone(stage.id), stage.id, stage.title))
        for meeting in self.definition.meetings.values():
            rows.append((self.milestone(meeting.id), meeting.id, meeting.title))
        return sorted(rows)

