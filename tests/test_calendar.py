"""Working days, England and Wales bank holidays, months of the cycle year and the shipped timeline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workflow.definition.calendar import (
    MilestoneLoop,
    Timeline,
    add_working_days,
    calendar_year,
    is_bank_holiday,
    is_working_day,
    last_working_day,
    nth_weekday,
    working_days_between,
)
from workflow.definition.loader import load_definition
from workflow.definition.model import (
    DateExpr,
    DayMonthDate,
    Definition,
    FixedDate,
    Meeting,
    MilestoneDate,
    MonthDate,
    NthWeekdayDate,
    Stage,
)

SHIPPED = Path(__file__).resolve().parent.parent / "definitions" / "community_safety_strategy.yaml"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
D = dt.date


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return Timeline(load_definition(SHIPPED), 2021)


def dated(meetings: dict[str, DateExpr], stages: dict[str, DateExpr | None] | None = None,
          starts_in: int = 7) -> Definition:
    """A definition with only dates in it, for the timeline."""
    return Definition(
        id="dates", title="Dates", version=1, starts_in=starts_in, initial="", roles={}, people={}, boards={},
        meetings={mid: Meeting(mid, "board", mid, date) for mid, date in meetings.items()}, papers={},
        stages={sid: Stage(sid, sid, due=due) for sid, due in (stages or {}).items()},
        transitions=(), lifecycles={}, reminders={}, documents={}, permissions={},
    )


# --- bank holidays and working days ------------------------------------------------

@pytest.mark.parametrize("day, name", [
    (D(2022, 1, 3), "New Year's Day (observed): 1 January 2022 was a Saturday"),
    (D(2021, 12, 27), "Christmas Day (observed)"),
    (D(2021, 12, 28), "Boxing Day (observed)"),
    (D(2022, 4, 15), "Good Friday"),
    (D(2022, 4, 18), "Easter Monday"),
    (D(2022, 5, 2), "Early May bank holiday"),
    (D(2022, 6, 2), "Spring bank holiday, moved for the Platinum Jubilee"),
    (D(2022, 6, 3), "Platinum Jubilee bank holiday"),
    (D(2022, 8, 29), "Late Summer bank holiday"),
    (D(2021, 8, 30), "Late Summer bank holiday"),
    (D(2021, 5, 31), "Spring bank holiday"),
])
def test_england_and_wales_bank_holidays(day: dt.date, name: str) -> None:
    assert day.weekday() < 5, name
    assert is_bank_holiday(day), name
    assert not is_working_day(day), name


@pytest.mark.parametrize("day, name", [
    (D(2022, 1, 4), "Scotland's 2 January (observed) is not a holiday in England and Wales"),
    (D(2021, 11, 30), "St Andrew's Day is Scotland's"),
    (D(2022, 3, 17), "St Patrick's Day is Northern Ireland's"),
    (D(2021, 7, 12), "the Battle of the Boyne holiday is Northern Ireland's"),
    (D(2021, 8, 2), "Scotland's summer bank holiday"),
    (D(2021, 12, 24), "Christmas Eve is a working day"),
    (D(2021, 12, 31), "New Year's Eve is a working day"),
])
def test_other_nations_holidays_are_working_days(day: dt.date, name: str) -> None:
    assert not is_bank_holiday(day), name
    assert is_working_day(day), name


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(D(2022, 1, 1))  # Saturday, and New Year's Day
    assert not is_working_day(D(2022, 1, 2))  # Sunday
    assert is_working_day(D(2022, 1, 7))  # Friday


def test_add_working_days_forwards_skips_weekends_and_holidays() -> None:
    assert add_working_days(D(2022, 1, 7), 1) == D(2022, 1, 10)  # Friday -> Monday
    assert add_working_days(D(2021, 12, 31), 1) == D(2022, 1, 4)  # over the weekend and New Year (observed)
    assert add_working_days(D(2021, 12, 24), 1) == D(2021, 12, 29)  # over Christmas
    assert add_working_days(D(2022, 8, 26), 1) == D(2022, 8, 30)  # over the Late Summer bank holiday
    assert add_working_days(D(2022, 1, 10), 5) == D(2022, 1, 17)


def test_add_working_days_backwards_over_a_weekend() -> None:
    assert D(2022, 2, 7).weekday() == MON
    assert add_working_days(D(2022, 2, 7), -1) == D(2022, 2, 4)  # Friday
    assert add_working_days(D(2022, 2, 7), -5) == D(2022, 1, 31)
    # From a Sunday, one working day back is the Friday.
    assert add_working_days(D(2022, 2, 6), -1) == D(2022, 2, 4)


def test_add_working_days_backwards_over_christmas_2021() -> None:
    # Tue 4 January 2022; Mon 3 January, 1-2 January, 25-28 December are not working days.
    assert add_working_days(D(2022, 1, 4), -1) == D(2021, 12, 31)
    assert add_working_days(D(2022, 1, 4), -3) == D(2021, 12, 29)
    assert add_working_days(D(2022, 1, 4), -4) == D(2021, 12, 24)
    assert add_working_days(D(2022, 1, 4), -5) == D(2021, 12, 23)
    assert add_working_days(D(2021, 12, 29), -1) == D(2021, 12, 24)


def test_add_zero_working_days_is_the_same_day() -> None:
    assert add_working_days(D(2022, 1, 3), 0) == D(2022, 1, 3)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert working_days_between(D(2021, 12, 24), D(2022, 1, 4)) == 4  # 29, 30, 31 December and 4 January
    assert working_days_between(D(2022, 1, 4), D(2021, 12, 24)) == -4
    assert working_days_between(D(2022, 2, 4), D(2022, 2, 7)) == 1
    assert working_days_between(D(2022, 2, 7), D(2022, 2, 7)) == 0
    for start, count in ((D(2021, 12, 20), 12), (D(2022, 8, 25), -3)):
        assert working_days_between(start, add_working_days(start, count)) == count


def test_working_days_between_is_the_count_of_working_days_walked_over_years_and_decades() -> None:
    def walked(start: dt.date, end: dt.date) -> int:
        lo, hi = sorted((start, end))
        days = [lo + dt.timedelta(days=n) for n in range(1, (hi - lo).days + 1)]
        return sum(1 for day in days if is_working_day(day)) * (1 if end >= start else -1)

    for start in (D(2021, 12, 24), D(2026, 12, 6), D(2000, 1, 1), D(2099, 12, 31)):
        for days in (1, 2, 5, 6, 7, 8, 13, 364, 365, 366, 1000, 9000, -3, -9, -400, -20000):
            end = start + dt.timedelta(days=days)
            assert working_days_between(start, end) == walked(start, end), (start, end)


# --- months and weekdays -------------------------------------------------------

@pytest.mark.parametrize("year, month, expected", [
    (2022, 1, D(2022, 1, 31)),  # a Monday
    (2022, 4, D(2022, 4, 29)),  # 30 April is a Saturday
    (2021, 5, D(2021, 5, 28)),  # 31 May is the Spring bank holiday
    (2022, 12, D(2022, 12, 30)),  # 31 December is a Saturday
    (2021, 12, D(2021, 12, 31)),  # a Friday, and New Year's Eve is a working day
    (2022, 7, D(2022, 7, 29)),  # 30 and 31 July are a weekend
    (2022, 2, D(2022, 2, 28)),
])
def test_last_working_day_of_a_month(year: int, month: int, expected: dt.date) -> None:
    assert last_working_day(year, month) == expected


def test_month_of_the_cycle_year() -> None:
    # A cycle starting in July: July to December in the cycle year, January to June in the next.
    assert calendar_year(7, 2021, 7) == 2021
    assert calendar_year(7, 2021, 12) == 2021
    assert calendar_year(7, 2021, 1) == 2022
    assert calendar_year(7, 2021, 6) == 2022
    # A cycle starting in January is the calendar year.
    assert all(calendar_year(1, 2021, month) == 2021 for month in range(1, 13))
    # April, as a financial year.
    assert (calendar_year(4, 2021, 3), calendar_year(4, 2021, 4)) == (2022, 2021)


@pytest.mark.parametrize("year, month, nth, weekday, expected", [
    (2021, 8, 3, THU, D(2021, 8, 19)),
    (2021, 7, 2, TUE, D(2021, 7, 13)),
    (2021, 9, 4, THU, D(2021, 9, 23)),
    (2021, 11, -1, TUE, D(2021, 11, 30)),
    (2022, 2, 1, MON, D(2022, 2, 7)),
    (2022, 2, 4, MON, D(2022, 2, 28)),
    (2021, 12, -1, FRI, D(2021, 12, 31)),
    (2022, 3, 2, WED, D(2022, 3, 9)),
])
def test_nth_weekday(year: int, month: int, nth: int, weekday: int, expected: dt.date) -> None:
    assert nth_weekday(year, month, nth, weekday) == expected
    assert expected.weekday() == weekday


# --- the shipped definition's timeline for the 2021 cycle ------------------------

@pytest.mark.parametrize("milestone, expected", [
    ("mk_together_july", D(2021, 7, 13)),
    ("risk_board_august", D(2021, 8, 19)),
    ("safer_mk_september", D(2021, 9, 8)),
    ("risk_board_september", D(2021, 9, 23)),
    ("scrutiny_november", D(2021, 11, 30)),
    ("risk_board_february", D(2022, 2, 10)),
    ("mk_together_february", D(2022, 2, 22)),
    ("safer_mk_march", D(2022, 3, 9)),
    # Stages due at a meeting fall on it; the consultation is due by the end of January.
    ("early_findings", D(2021, 7, 13)),
    ("assessment_sign_off", D(2021, 8, 19)),
    ("consultation", D(2022, 1, 31)),
    ("final_draft_sign_off", D(2022, 2, 10)),
    ("adoption", D(2022, 3, 9)),
])
def test_shipped_timeline_2021(timeline: Timeline, milestone: str, expected: dt.date) -> None:
    assert timeline.milestone(milestone) == expected


def test_shipped_timeline_weekdays(timeline: Timeline) -> None:
    assert timeline.milestone("risk_board_august").weekday() == THU
    assert timeline.milestone("consultation").weekday() == MON
    assert timeline.milestone("adoption").weekday() == WED


def test_survey_closes_3_january_2022(timeline: Timeline) -> None:
    survey = timeline.definition.stages["consultation"].strand("online_survey")
    assert survey is not None and survey.due is not None
    assert timeline.resolve(survey.due) == D(2022, 1, 3)
    assert [(trigger, timeline.resolve(when)) for trigger, when in survey.at] == [("close", D(2022, 1, 3))]
    close = next(t for t in timeline.definition.transitions if t.trigger == "close_consultation")
    assert close.at is not None and timeline.resolve(close.at) == D(2022, 1, 31)


def test_stage_due_and_dated(timeline: Timeline) -> None:
    assert timeline.stage_due("adoption") == D(2022, 3, 9)
    assert timeline.stage_due("adopted") is None
    rows = timeline.dated()
    assert rows == sorted(rows)
    assert len(rows) == 8 + 8  # eight dated stages and eight meetings
    assert rows[0][0] == D(2021, 7, 13)
    assert rows[-1][0] == D(2022, 3, 9)


def test_the_next_cycle_year_moves_every_relative_date() -> None:
    later = Timeline(load_definition(SHIPPED), 2022)
    assert later.milestone("risk_board_august") == D(2022, 8, 18)  # third Thursday of August 2022
    assert later.milestone("consultation") == D(2023, 1, 31)
    assert later.milestone("adoption") == D(2023, 3, 8)


# --- resolving date expressions -----------------------------------------------------

def test_working_days_before_a_milestone(timeline: Timeline) -> None:
    # Risk Board August is Thursday 19 August 2021.
    assert timeline.resolve(MilestoneDate("risk_board_august", -10)) == D(2021, 8, 5)
    assert timeline.resolve(MilestoneDate("risk_board_august", -3)) == D(2021, 8, 16)
    # Ten working days before Risk Board February (Thursday 10 February 2022).
    assert timeline.resolve(MilestoneDate("risk_board_february", -10)) == D(2022, 1, 27)


def test_working_days_after_a_milestone_over_christmas(timeline: Timeline) -> None:
    # 20 working days after Tuesday 30 November 2021 skips 27 and 28 December.
    assert timeline.resolve(MilestoneDate("scrutiny_november", 20)) == D(2021, 12, 30)


def test_working_days_before_a_milestone_over_a_bank_holiday() -> None:
    timeline = Timeline(dated({"board": DayMonthDate(1, 9)}), 2022)  # Thursday 1 September 2022
    # Back over the Late Summer bank holiday (Monday 29 August) and the weekend.
    assert timeline.resolve(MilestoneDate("board", -3)) == D(2022, 8, 26)


def test_milestones_refer_to_milestones() -> None:
    definition = dated(
        {"board": NthWeekdayDate(2, TUE, 3), "papers": MilestoneDate("board", -10)},
        {"drafted": MilestoneDate("papers", -5), "signed": MilestoneDate("board", 0), "undated": None},
    )
    timeline = Timeline(definition, 2021)
    assert timeline.milestone("board") == D(2022, 3, 8)
    assert timeline.milestone("papers") == D(2022, 2, 22)
    assert timeline.milestone("drafted") == D(2022, 2, 15)
    assert timeline.milestone("signed") == D(2022, 3, 8)
    assert timeline.stage_due("undated") is None
    with pytest.raises(KeyError):
        timeline.milestone("undated")
    with pytest.raises(KeyError):
        timeline.milestone("nowhere")


def test_resolve_each_kind_of_date() -> None:
    timeline = Timeline(dated({}), 2021)
    assert timeline.resolve(MonthDate(8)) == D(2021, 8, 31)
    assert timeline.resolve(MonthDate(1)) == D(2022, 1, 31)
    assert timeline.resolve(DayMonthDate(3, 1)) == D(2022, 1, 3)
    assert timeline.resolve(DayMonthDate(3, 12)) == D(2021, 12, 3)
    assert timeline.resolve(FixedDate(2030, 6, 1)) == D(2030, 6, 1)
    assert timeline.resolve(NthWeekdayDate(-1, MON, 5)) == D(2022, 5, 30)


def test_a_loop_of_milestones_is_refused_and_named() -> None:
    definition = dated(
        {"a": MilestoneDate("b", 1), "b": MilestoneDate("c", 1), "c": MilestoneDate("a", 1)},
        {"stage": MilestoneDate("a", 0)},
    )
    with pytest.raises(MilestoneLoop) as raised:
        Timeline(definition, 2021).milestone("stage")
    # The loop itself, without the stage that merely depends on it.
    assert raised.value.names == ("a", "b", "c", "a")
    assert str(raised.value) == "milestone dates refer to each other in a loop: a -> b -> c -> a"
    assert isinstance(raised.value, ValueError)


def test_a_milestone_referring_to_itself() -> None:
    with pytest.raises(MilestoneLoop) as raised:
        Timeline(dated({"a": MilestoneDate("a", -1)}), 2021).milestone("a")
    assert raised.value.names == ("a", "a")
