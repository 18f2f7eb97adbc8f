"""Checks of a definition's plan for one cycle year: lengths and blackout periods.

The loader checks what holds for every year; whether a consultation planned
for six weeks falls over Christmas depends on the year, so `cycle validate`,
`cycle show` and `cycle start` check the plan of the year they are given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workflow.definition.calendar import Timeline, add_period, occurrences, overlap
from workflow.definition.formatting import table_date
from workflow.definition.model import Definition, Timing
from workflow.errors import DefinitionError, Problem


@dataclass(frozen=True)
class BlackoutSpan:
    id: str
    title: str
    first: dt.date
    last: dt.date


def _day(day: dt.date) -> str:
    return table_date(day)


def blackouts_between(definition: Definition, first: dt.date, last: dt.date) -> list[BlackoutSpan]:
    """Every blackout period that touches [first, last], in date order."""
    found = [BlackoutSpan(b.id, b.title, start, end) for b in definition.blackouts.values()
             for start, end in occurrences(b, first.year, last.year) if overlap((first, last), (start, end))]
    return sorted(found, key=lambda s: (s.first, s.id))


def _check(definition: Definition, timing: Timing, what: str, span: tuple[dt.date, dt.date],
           year: int, added: int = 0) -> list[Problem]:
    """`added`: days a blackout period lengthened it by, which do not count towards its length."""
    problems: list[Problem] = []
    start, end = span
    counted = end - dt.timedelta(days=added)
    runs = f"{what} is planned to run from {_day(start)} to {_day(end)} in the cycle year {year}"

    def problem(field: str, message: str) -> None:
        problems.append(Problem(definition.path, timing.line, f"{timing.field}.{field}", message))

    if timing.at_least is not None and add_period(start, timing.at_least) > counted:
        problem("at_least", f"{runs}, shorter than the {timing.at_least} it must run (it could close on "
                f"{_day(add_period(start, timing.at_least))} at the earliest): move its due date")
    if timing.at_most is not None and add_period(start, timing.at_most) < counted:
        problem("at_most", f"{runs}, longer than the {timing.at_most} it may run (it must close by "
                f"{_day(add_period(start, timing.at_most))}): move its due date")
    for bid in timing.outside:
        for found in blackouts_between(definition, start, end):
            if found.id == bid:
                problem("outside", f"{runs}, over the {found.title} ({_day(found.first)} to {_day(found.last)}), "
                        "which it may not overlap: move its dates, or let the period extend it (extended_by)")
    return problems


def plan_problems(definition: Definition, year: int) -> list[Problem]:
    """What breaks the definition's lengths or blackout periods in `year`'s plan."""
    timeline = Timeline(definition, year)
    problems: list[Problem] = []
    for stage in definition.stages.values():
        span = timeline.stage_span(stage.id)
        if span is None:
            continue
        if stage.timing:
            problems += _check(definition, stage.timing, f"stage '{stage.id}'", span, year,
                               sum(days for _, days in timeline.extended.get(stage.id, [])))
        for strand in stage.strands:
            if strand.timing:
                end = timeline.resolve(strand.due) if strand.due else span[1]
                problems += _check(definition, strand.timing, f"strand '{strand.id}'", (span[0], end), year)
    return problems


def check_plan(definition: Definition, year: int) -> None:
    """Refuse a plan that breaks the definition's own lengths or blackout periods in `year`."""
    problems = plan_problems(definition, year)
    if problems:
        raise DefinitionError(problems)
