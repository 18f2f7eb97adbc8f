"""Calendar periods after milestones, lengths, blackout periods and multi-year cycles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEFINITIONS
from workflow.cli import main
from workflow.definition.calendar import Timeline, add_months, add_period, whole_periods
from workflow.definition.loader import load_definition, parse_definition
from workflow.definition.model import Period
from workflow.definition.planning import check_plan
from workflow.errors import DefinitionError

D = dt.date
PSPO = DEFINITIONS / "alcohol_pspo_variation.yaml"


@pytest.mark.parametrize("day, months, expected", [
    (D(2021, 1, 31), 1, D(2021, 2, 28)),  # clamped to the month's end
    (D(2024, 1, 31), 1, D(2024, 2, 29)),  # a leap year's February
    (D(2024, 2, 29), 12, D(2025, 2, 28)),  # a year on from 29 February
    (D(2024, 2, 29), 48, D(2028, 2, 29)),
    (D(2021, 3, 31), -1, D(2021, 2, 28)),
    (D(2021, 12, 15), 1, D(2022, 1, 15)),  # across the year end
    (D(2021, 5, 31), 4, D(2021, 9, 30)),
])
def test_months_clamp_to_the_end_of_the_month(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_each_unit_of_a_period() -> None:
    day = D(2021, 6, 14)  # a Monday
    assert add_period(day, Period(10, "days")) == D(2021, 6, 24)
    assert add_period(day, Period(6, "weeks")) == D(2021, 7, 26)
    assert add_period(day, Period(3, "months"), -1) == D(2021, 3, 14)
    assert add_period(day, Period(3, "years")) == D(2024, 6, 14)
    assert add_period(D(2021, 8, 27), Period(1, "working days")) == D(2021, 8, 31)  # over the bank holiday
    assert whole_periods(day, D(2021, 7, 12), "weeks") == 4
    assert whole_periods(D(2021, 1, 31), D(2021, 2, 28), "months") == 1
    assert whole_periods(D(2021, 1, 31), D(2021, 2, 27), "months") == 0
    assert whole_periods(D(2024, 2, 29), D(2027, 2, 28), "years") == 3


def test_the_multi_year_order_follows_the_cycle_year() -> None:
    definition = load_definition(PSPO)
    for year, made, expires in [(2025, D(2025, 9, 16), D(2028, 9, 16)), (2031, D(2031, 9, 16), D(2034, 9, 16))]:
        timeline = Timeline(definition, year)
        assert timeline.stage_due("order_made") == made
        assert timeline.stage_due("in_force") == expires, "three years after the order is made"
        assert timeline.stage_due("review") == add_months(expires, -3), "three months before it expires"
        begin = next(t for t in definition.transitions if t.trigger == "begin_review")
        assert begin.at is not None and timeline.resolve(begin.at) == add_months(expires, -6)


def test_a_running_cycle_counts_from_when_things_actually_happened() -> None:
    definition = load_definition(PSPO)
    planned = Timeline(definition, 2025)
    assert planned.milestone("entered:consultation") == D(2025, 6, 2)
    assert planned.stage_due("consultation") == D(2025, 7, 28)
    late = Timeline(definition, 2025, {"entered:consultation": D(2025, 6, 20), "fired:make_order": D(2025, 10, 1)})
    assert late.stage_due("consultation") == D(2025, 8, 15), "eight weeks from the day it opened"
    assert late.stage_due("in_force") == D(2028, 10, 1)


def test_a_pre_election_period_extends_the_consultation_by_its_length() -> None:
    timeline = Timeline(load_definition(PSPO), 2024)
    assert timeline.stage_due("consultation") == D(2024, 7, 29) + dt.timedelta(days=41)
    assert timeline.extended["consultation"] == [("pre_election", 41)]


def cli(tmp_path: Path, *args: str) -> Result:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    return CliRunner().invoke(main, list(args), env=env)


def test_show_marks_blackouts_and_lengths_for_two_years(tmp_path: Path) -> None:
    shown = {year: json.loads(cli(tmp_path, "show", "alcohol_pspo_variation", "--year", str(year), "--json").output)
             for year in (2024, 2025)}
    due = {year: {s["id"]: s["due"] for s in shown[year]["stages"]} for year in shown}
    assert due[2025]["consultation"] == "2025-07-28"
    assert due[2024]["consultation"] == "2024-09-08", "the 2024 general election's pre-election period"
    assert {"id": "pre_election", "title": "Pre-election period", "from": "2024-05-25", "to": "2024-07-04"} \
        in shown[2024]["blackouts"]
    assert "pre_election" not in {b["id"] for b in shown[2025]["blackouts"] if b["from"] < "2025-12-01"}
    assert "41 days added for Pre-election period" in shown[2024]["lengths"]["consultation"]
    assert "at least 6 weeks" in shown[2025]["lengths"]["consultation"]
    table = cli(tmp_path, "show", "alcohol_pspo_variation", "--year", "2025").output
    assert "Sat 20 Dec 2025 to Sat 3 Jan 2026" in table and "blackout: Christmas and New Year" in table
    assert "Sat 16 Sep 2028" in table


def december(tmp_path: Path) -> Path:
    """The example with the consultation moved to December: over Christmas."""
    path = tmp_path / "defs" / "pspo_december.yaml"
    path.parent.mkdir()
    (path.parent / "templates").symlink_to(DEFINITIONS / "templates")
    path.write_text(PSPO.read_text().replace("due: first Monday of June", "due: first Monday of December")
                    .replace("- not_before: 1 June", "- not_before: 1 December"))
    return path


def test_validate_refuses_a_plan_over_christmas_with_file_line_and_field(tmp_path: Path) -> None:
    path = december(tmp_path)
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.strip() == "consultation:")
    result = cli(tmp_path, "validate", str(path.parent), "--year", "2025")
    assert result.exit_code == 2
    assert (f"{path}:{line}: stages.consultation.outside: stage 'consultation' is planned to run from "
            "Mon 1 Dec 2025 to Mon 26 Jan 2026 in the cycle year 2025, over the Christmas and New Year "
            "(Sat 20 Dec 2025 to Sat 3 Jan 2026), which it may not overlap") in result.stderr
    assert cli(tmp_path, "show", str(path), "--year", "2025").exit_code == 2
    with pytest.raises(DefinitionError):
        check_plan(load_definition(path, templates_dir=DEFINITIONS / "templates"), 2025)


def test_validate_takes_files_ids_and_folders_at_once(tmp_path: Path) -> None:
    result = cli(tmp_path, "validate", str(DEFINITIONS), "community_safety_strategy", str(PSPO), "--year", "2025")
    assert result.exit_code == 0, result.output
    assert result.output.count("✓") == 5  # the folder's three shipped definitions, then the id and the file
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = cli(tmp_path, "validate", str(empty))
    assert refused.exit_code == 2 and "there is no .yaml definition file in the folder" in refused.output


def test_unknown_milestone_events_are_named() -> None:
    text = PSPO.read_text().replace("8 weeks after consultation entered", "8 weeks after consultaton entered")
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text, "pspo.yaml", templates_dir=DEFINITIONS / "templates")
    assert [p.field for p in raised.value.problems] == ["stages.consultation.due"]
    assert "unknown stage 'consultaton' — did you mean 'consultation'?" in raised.value.problems[0].message


def test_the_engine_refuses_to_close_a_consultation_early(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}

    def run(now: str, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, "CYCLE_NOW": f"{now}T10:00:00+01:00"})

    lead, cycle = ["--as", "community_safety_officer"], "alcohol_pspo_variation-2021"
    paper = tmp_path / "paper.txt"
    paper.write_text("A paper.\n")
    assert run("2021-05-10", "start", "alcohol_pspo_variation", "--year", "2021", *lead).exit_code == 0
    for name in ("evidence_report", "draft_variation", "consultation_document"):
        assert run("2021-05-10", "attach", cycle, name, str(paper), *lead).exit_code == 0
    assert run("2021-05-10", "fire", cycle, "submit_evidence", *lead).exit_code == 0
    early = run("2021-05-28", "fire", cycle, "launch_consultation", *lead)
    assert early.exit_code == 3 and "it cannot happen before 1 June 2021" in early.stderr
    assert run("2021-06-14", "fire", cycle, "launch_consultation", *lead).exit_code == 0
    for strand in ("chief_officer_of_police", "police_and_crime_commissioner"):
        for trigger in ("consult", "record_response"):
            assert run("2021-06-14", "fire", cycle, trigger, "--strand", strand, *lead).exit_code == 0
    assert run("2021-06-14", "fire", cycle, "launch", "--strand", "public_survey", *lead).exit_code == 0
    survey = run("2021-07-12", "fire", cycle, "close", "--strand", "public_survey", *lead)
    assert survey.exit_code == 3
    assert ("the public consultation survey has run 4 weeks of the 6 it must run; it can close on "
            "Monday 26 July 2021") in survey.stderr
    refused = run("2021-07-12", "fire", cycle, "close_consultation", *lead)
    assert refused.exit_code == 3, refused.output
    assert ("The statutory consultation has run 4 weeks of the 6 it must run; it can close on Monday 26 July 2021"
            in refused.stderr) and "Traceback" not in refused.stderr
    status = json.loads(run("2021-07-12", "status", cycle, "--json").output)
    assert status["stage"] == "consultation" and status["due"] == "2021-08-09", "8 weeks from the day it opened"
    assert run("2021-07-26", "fire", cycle, "close", "--strand", "public_survey", *lead).exit_code == 0
    closed = run("2021-07-26", "fire", cycle, "close_consultation", *lead)
    assert closed.exit_code == 0, closed.stderr
    history = json.loads(run("2021-07-26", "history", cycle, "--json").output)
    assert [h["trigger"] for h in history if h["action"] == "fire" and not h["strand"]][-1] == "close_consultation"
