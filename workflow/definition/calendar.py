"""Dates of a cycle: months of the cycle year, working days, bank holidays, calendar periods.

A definition says "August", "3 January", "third Thursday of September",
"10 working days before risk_board_february" or "6 weeks after consultation
entered"; this module turns those into dates for a given cycle year, skipping
weekends and England and Wales bank holidays where it counts working days.
Month arithmetic clamps to the end of the month: 31 January + 1 month is the
last day of February.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from workflow.definition.model import (
    ENTERED,
    FIRED,
    Blackout,
    DateExpr,
    DayMonthDate,
    Definition,
    FixedDate,
    MilestoneDate,
    MonthDate,
    NthWeekdayDate,
    Period,
    PeriodDate,
)

# The zone every date of a cycle is in, and every time a person reads (a stored moment is UTC).
LOCAL = ZoneInfo("Europe/London")


@lru_cache(maxsize=256)  # every year a cycle may be planned for (2000 to 2100), and more
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
    # Counted, not walked: five weekdays in each whole week, the few days left one by one, less the bank
    # holidays that fall on a weekday in between (a cycle of 2090 asks this of today's date on every list).
    weeks, left = divmod((hi - lo).days, 7)
    count = 5 * weeks + sum(1 for n in range(1, left + 1) if (lo + dt.timedelta(days=7 * weeks + n)).weekday() < 5)
    count -= sum(1 for year in {lo.year, hi.year} for day in _weekday_holidays(year) if lo < day <= hi)
    count -= _weekday_holidays_in_years(lo.year + 1, hi.year)
    return sign * count


@lru_cache(maxsize=4096)
def _weekday_holidays_in_years(first: int, stop: int) -> int:
    """The weekday bank holidays of the whole years from `first` up to (not including) `stop`: a list of cycles
    asks it of today's year and each cycle's, the same few pairs again and again."""
    return sum(len(_weekday_holidays(year)) for year in range(first, stop))


@lru_cache(maxsize=256)
def _weekday_holidays(year: int) -> tuple[dt.date, ...]:
    """The year's bank holidays that fall on a weekday (a substitute day is one of them)."""
    return tuple(day for day in _bank_holidays(year) if day.weekday() < 5)


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


def add_months(day: dt.date, months: int) -> dt.date:
    """Move whole months, clamping to the month's end: 31 January + 1 month = 28 (or 29) February."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return dt.date(year, month + 1, min(day.day, _stdlib_calendar.monthrange(year, month + 1)[1]))


def add_period(day: dt.date, period: Period, sign: int = 1) -> dt.date:
    """`day` moved by `period` (backwards when `sign` is -1)."""
    n = period.amount * sign
    match period.unit:
        case "days":
            return day + dt.timedelta(days=n)
        case "weeks":
            return day + dt.timedelta(weeks=n)
        case "months":
            return add_months(day, n)
        case "years":
            return add_months(day, 12 * n)
        case "working days":
            return add_working_days(day, n)
    raise ValueError(f"not a unit of time: {period.unit!r}")


def whole_periods(start: dt.date, end: dt.date, unit: str) -> int:
    """How many whole `unit`s have run from `start` to `end` (0 if end is not later)."""
    if end <= start:
        return 0
    if unit == "working days":
        return working_days_between(start, end)
    if unit in ("days", "weeks"):
        return (end - start).days // (7 if unit == "weeks" else 1)
    step = 12 if unit == "years" else 1
    count = (end.year - start.year) * 12 // step + 1
    while count > 0 and add_months(start, count * step) > end:
        count -= 1
    return count


def occurrences(blackout: Blackout, first_year: int, last_year: int) -> list[tuple[dt.date, dt.date]]:
    """The blackout's (first day, last day) pairs that touch the years given, in date order."""
    found: list[tuple[dt.date, dt.date]] = []
    if blackout.yearly is not None:
        (m1, d1), (m2, d2) = blackout.yearly
        for year in range(first_year - 1, last_year + 1):
            start = dt.date(year, m1, d1)
            end = dt.date(year if (m2, d2) >= (m1, d1) else year + 1, m2, d2)
            if end.year >= first_year and start.year <= last_year:
                found.append((start, end))
    for a, b in blackout.dates:
        found.append((dt.date(a.year, a.month, a.day), dt.date(b.year, b.month, b.day)))
    return sorted(found)


def overlap(span: tuple[dt.date, dt.date], period: tuple[dt.date, dt.date]) -> bool:
    return span[0] <= period[1] and period[0] <= span[1]


class MilestoneLoop(ValueError):
    """Milestone dates that refer to each other in a loop; `names` is the loop itself."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        super().__init__("milestone dates refer to each other in a loop: " + " -> ".join(names))


class Timeline:
    """The dated milestones (stages' due dates and meetings) of one cycle year.

    `actual` holds what a running cycle knows already: 'entered:<stage>' and
    'fired:<trigger>' dates, which replace the planned ones (see `planned_event`).
    """

    def __init__(self, definition: Definition, cycle_year: int,
                 actual: Mapping[str, dt.date] | None = None) -> None:
        self.definition = definition
        self.cycle_year = cycle_year
        self.actual = dict(actual or {})
        self._dates: dict[str, dt.date] = {}
        self.extended: dict[str, list[tuple[str, int]]] = {}  # stage -> (blackout, days added)

    def year_starts(self) -> dt.date:
        return dt.date(self.cycle_year, self.definition.starts_in, 1)

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
            case PeriodDate(period, _milestone, _event, before):
                return add_period(self.milestone(expr.key, _seen), period, -1 if before else 1)
        raise TypeError(f"not a date expression: {expr!r}")

    def milestone(self, name: str, _seen: tuple[str, ...] = ()) -> dt.date:
        if name in self._dates:
            return self._dates[name]
        if name in self.actual:
            return self.actual[name]
        if name in _seen:
            raise MilestoneLoop((*_seen[_seen.index(name):], name))
        seen = (*_seen, name)
        event, _, target = name.rpartition(":")
        if event:
            self._dates[name] = self.planned_event(event, target, seen)
            return self._dates[name]
        expr = self._milestones().get(name)
        if expr is None:
            raise KeyError(name)
        day = self.resolve(expr, seen)
        stage = self.definition.stages.get(name)
        if stage is not None and stage.timing.extended_by:
            day = self._extend(name, self.milestone(f"{ENTERED}:{name}", seen), day, stage.timing.extended_by)
        self._dates[name] = day
        return day

    def planned_event(self, event: str, target: str, seen: tuple[str, ...]) -> dt.date:
        """When a stage is planned to be entered, or a transition to fire, before the cycle knows.

        A transition is planned to fire on its `at` date, or else on its first source stage's due
        date (or the day that stage is entered, if it has none); a stage is planned to be entered
        when the first transition written into it fires; the initial stage when the year starts.
        """
        if event == FIRED:
            transition = next(t for t in self.definition.transitions if t.trigger == target)
            if transition.at is not None:
                return self.resolve(transition.at, seen)
            source = transition.sources[0]
            if self.definition.stages[source].due is not None:
                return self.milestone(source, seen)
            return self.milestone(f"{ENTERED}:{source}", seen)
        if target == self.definition.initial:
            return self.year_starts()
        into = next((t for t in self.definition.transitions if t.dest == target), None)
        if into is None:
            return self.year_starts()
        return self.milestone(f"{FIRED}:{into.trigger}", seen)

    def _extend(self, stage: str, start: dt.date, end: dt.date, blackouts: tuple[str, ...]) -> dt.date:
        """Lengthen [start, end] by the length of each blackout it overlaps (including ones it grows into)."""
        added: list[tuple[str, int]] = []
        counted: set[tuple[dt.date, dt.date]] = set()
        grew = True
        while grew:
            grew = False
            for bid in blackouts:
                for period in occurrences(self.definition.blackouts[bid], start.year, end.year):
                    if period not in counted and overlap((start, end), period):
                        counted.add(period)
                        days = (period[1] - period[0]).days + 1
                        end += dt.timedelta(days=days)
                        added.append((bid, days))
                        grew = True
        self.extended[stage] = added
        return end

    def expected(self, name: str, _seen: tuple[str, ...] = ()) -> bool:
        """Is the milestone's date planned from an event still to come ('... entered', '... fired')?"""
        if name in self.actual or name in _seen:
            return False
        seen = (*_seen, name)
        event, _, _target = name.rpartition(":")
        if event:
            return True
        expr = self._milestones().get(name)
        stage = self.definition.stages.get(name)
        if stage is not None and stage.timing.extended_by and self.expected(f"{ENTERED}:{name}", seen):
            return True
        match expr:
            case MilestoneDate(milestone, _):
                return self.expected(milestone, seen)
            case PeriodDate():
                return self.expected(expr.key, seen)
        return False

    def stage_span(self, stage: str) -> tuple[dt.date, dt.date] | None:
        """When a stage is planned to run: from its entry to its due date (None without a due date)."""
        if self.definition.stages[stage].due is None:
            return None
        return self.milestone(f"{ENTERED}:{stage}"), self.milestone(stage)

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

