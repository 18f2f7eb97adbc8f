"""The decision register as minutes keep it: dated by the meeting, one per item and meeting, amended or rescinded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CLERK, CYCLE, counts, meet, paper_file
from workflow.app import App
from workflow.cli import main
from workflow.commands.decision_rules import priority_of, takes_priorities
from workflow.errors import GateNotMet, InvalidInput

MK_TOGETHER = ["council_chief_executive", "director_childrens_services", "director_policy", "police_area_commander",
               "ccg_chief_operating_officer", "deputy_director_public_health"]


def test_a_decision_is_dated_by_the_boards_scheduled_meeting(app: App) -> None:
    app.engine.start(SHIPPED, 2021, AUTHOR)  # the clock says 1 July 2021; the board meets on 13 July
    meet(app, "mk_together", "early_findings")
    recorded = app.engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER)
    (decision,) = app.engine.status(CYCLE).decisions
    assert decision["meeting_date"] == "2021-07-13"
    assert (decision["id"], decision["in_force"], decision["supersedes"]) == (recorded.decision_id, True, None)


def test_a_decision_for_a_meeting_not_yet_held_is_refused_and_nothing_is_written(app: App, tmp_path: Path) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)  # 1 July 2021: MK Together meets on 13 July
    before = counts(app)
    with pytest.raises(InvalidInput) as refused:
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER)
    assert str(refused.value) == (
        "the MK Together Management Board has not met yet: its scheduled meeting is 13 July 2021 and today is "
        "1 July 2021; record it on or after the day the board meets, or give the day it met as the meeting date")
    with pytest.raises(InvalidInput, match="the meeting date given is 1 December 2021 and today is 1 July 2021"):
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER,
                      meeting_date=dt.date(2021, 12, 1))
    assert counts(app) == before, "nothing written"
    # A meeting already held is recorded whenever the clerk gets to it; on the day itself too.
    held = engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER,
                         meeting_date=dt.date(2021, 6, 29))
    assert held.outcome == "carried"
    meet(app, "mk_together", "early_findings")
    on_the_day = engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER)
    assert on_the_day.outcome == "carried"


def test_the_command_line_refuses_a_decision_for_a_meeting_not_yet_held(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-01T10:00:00+01:00"}
    runner = CliRunner()
    assert runner.invoke(main, ["start", SHIPPED, "--year", "2021", "--as", AUTHOR], env=env).exit_code == 0
    refused = runner.invoke(main, ["decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", CLERK,
                                   "--meeting-date", "2021-07-13", "--for", ",".join(MK_TOGETHER)], env=env)
    assert refused.exit_code != 0
    assert "has not met yet: the meeting date given is 13 July 2021 and today is 1 July 2021" in " ".join(
        refused.output.split())
    assert "Traceback" not in refused.output


def test_a_second_decision_at_one_meeting_is_refused_unless_it_amends_the_first(app: App, tmp_path: Path) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    meet(app, "mk_together", "early_findings")
    first = engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER[:2],
                          votes_against=MK_TOGETHER[2:])
    before = counts(app)
    with pytest.raises(InvalidInput, match=r"already has decision \d+ \(lost\) on 'Strategic assessment - early findings' "
                                           r"at its meeting "
                                           r"on 13 July 2021; to correct it, record an amendment with --amends"):
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER)
    with pytest.raises(InvalidInput, match="say why decision"):
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER, amends=first.decision_id)
    assert counts(app) == before, "nothing written"
    with pytest.raises(GateNotMet):
        engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    amended = engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER,
                            amends=first.decision_id, reason="The votes were minuted the wrong way round.")
    register = engine.status(CYCLE).decisions
    assert [(d["id"], d["outcome"], d["in_force"], d["supersedes"]) for d in register] == [
        (first.decision_id, "lost", False, None), (amended.decision_id, "carried", True, first.decision_id)]
    with pytest.raises(InvalidInput, match="superseded already"):
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=MK_TOGETHER,
                      amends=first.decision_id, reason="again")
    # The gate counts the decision in force: the amendment, which carried.
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)


def test_a_rescinded_decision_stays_in_the_register_and_no_longer_opens_the_gate(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-13T10:00:00+01:00"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert run("start", SHIPPED, "--year", "2021", "--as", AUTHOR).exit_code == 0
    paper = paper_file(tmp_path, "ef")
    assert run("attach", CYCLE, "early_findings", str(paper), "--as", AUTHOR).exit_code == 0
    carried = run("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", CLERK,
                  "--for", ",".join(MK_TOGETHER))
    assert "Decision 1: MK Together Management Board on 'Strategic assessment - early findings': CARRIED" \
        in carried.output
    again = run("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", CLERK,
                "--for", ",".join(MK_TOGETHER))
    assert again.exit_code == 3 and "already has decision 1" in again.stderr
    assert "Traceback" not in again.output
    no_reason = run("rescind", CYCLE, "1", "--reason", " ", "--as", CLERK)
    assert no_reason.exit_code == 3 and "say why decision 1 is rescinded" in no_reason.stderr
    # A decision that is not there is not found (exit 1, as the README says), however large its number.
    for missing in ("7", "9" * 23):
        absent = run("rescind", CYCLE, missing, "--reason", "A reason.", "--as", CLERK)
        assert absent.exit_code == 1, absent.output
        assert absent.stderr.strip().endswith(f"there is no decision {missing} in this cycle")
    rescinded = run("rescind", CYCLE, "1", "--reason", "The findings were superseded by new data.", "--as", CLERK,
                    "--meeting-date", "2021-07-13")
    assert rescinded.exit_code == 0, rescinded.output
    assert "Decision 2: the MK Together Management Board rescinded decision 1" in rescinded.output
    refused = run("fire", CYCLE, "discuss_early_findings", "--as", AUTHOR)
    assert refused.exit_code != 0, "the decision in force is the rescission"
    status = CliRunner().invoke(main, ["status", CYCLE, "--json"], env=env)
    register = json.loads(status.output)["decisions"]
    assert [(d["id"], d["outcome"], d["in_force"], d["supersedes"]) for d in register] == [
        (1, "carried", False, None), (2, "rescinded", True, 1)]
    assert dt.date.fromisoformat(register[1]["meeting_date"]) == dt.date(2021, 7, 13)


def test_priorities_are_read_by_one_rule_for_the_cli_and_the_form_and_kept_with_the_decision(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-13T10:00:00+01:00"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert run("start", SHIPPED, "--year", "2021", "--as", AUTHOR).exit_code == 0
    decide = ("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", CLERK,
              "--for", ",".join(MK_TOGETHER))
    refused = run(*decide, "--priority", "Cyber crime")
    assert refused.exit_code == 2 and "'Cyber crime' should read 'priority: recommendation'" in refused.stderr
    assert run(*decide, "--priority", "Cyber crime: new priority").exit_code == 0
    status = json.loads(run("status", CYCLE, "--json").output)
    assert status["decisions"][0]["priorities"] == [{"title": "Cyber crime", "recommendation": "new priority"}]
    with pytest.raises(InvalidInput, match="': x' should read 'priority: recommendation'"):
        priority_of(" : x")  # the form's lines go through the same rule


def test_the_definition_says_which_decision_agrees_priorities(app: App) -> None:
    definition = app.engine.catalog.load(SHIPPED)
    assert takes_priorities(definition, "risk_board", "priorities")
    assert not takes_priorities(definition, "risk_board", "strategic_assessment")
    assert not takes_priorities(definition, "mk_together", "early_findings")
