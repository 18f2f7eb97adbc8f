"""My work's "waiting for": what holds back a person's next step, who can do it by name and role, since when and
when it is due; and the refusal that names the same person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import DEFINITIONS
from tests.helpers import AUTHOR, CLERK, CYCLE, carry, paper_file
from workflow.app import App
from workflow.cli import main
from workflow.definition import gates as gate_rules
from workflow.definition.calendar import Timeline
from workflow.definition.gates import Facts
from workflow.definition.loader import load_definition
from workflow.definition.model import DecisionGate, StrandsGate
from workflow.errors import GateNotMet
from workflow.player import Player
from workflow.reads.mywork import work_of
from workflow.time.clock import SimulatedClock

SHIPPED = "community_safety_strategy"


@pytest.fixture
def waiting(app: App, tmp_path: Path) -> App:
    """The early findings are attached; the MK Together Management Board has still to decide."""
    app.engine.start(SHIPPED, 2021, AUTHOR)
    app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "findings"), AUTHOR)
    return app


def test_the_author_waits_for_the_boards_decision_named_by_the_committee_manager(waiting: App) -> None:
    work = work_of(waiting.engine, AUTHOR)
    assert work.to_do == []  # before: "There is nothing for you to do", and nothing more
    [item] = work.waiting_for
    assert item.kind == "decision" and (item.board, item.item) == ("mk_together", "early_findings")
    assert item.title == "the MK Together Management Board's decision on 'Strategic assessment - early findings'"
    assert [(a.person, a.name, a.role) for a in item.who] == [(CLERK, "Helen Marsh", "committee manager")]
    assert item.from_whom == "Helen Marsh (committee manager)"
    assert item.since == dt.date(2021, 7, 1)  # the day the cycle entered the stage
    assert item.due == dt.date(2021, 7, 13)  # the board's July meeting
    assert item.step == "Early findings discussed at MK Together Management Board"


def test_the_committee_manager_has_it_to_do_and_waits_for_nothing(waiting: App) -> None:
    work = work_of(waiting.engine, "committee.manager@example.org")  # by email, as the pages ask
    assert [(i.kind, i.board) for i in work.to_do] == [("decide", "mk_together")]
    assert work.waiting_for == []


def test_once_decided_the_wait_is_over_and_the_step_is_the_authors_to_take(waiting: App) -> None:
    carry(waiting, "mk_together", "early_findings")
    work = work_of(waiting.engine, AUTHOR)
    assert work.waiting_for == []
    assert [i.kind for i in work.to_do] == ["fire"]


def test_a_paper_the_author_attaches_is_to_do_not_waited_for(app: App) -> None:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    work = work_of(app.engine, AUTHOR)
    assert [i.kind for i in work.to_do] == ["attach"]
    assert [i.kind for i in work.waiting_for] == ["decision"]


def test_in_the_consultation_the_author_waits_for_the_scrutiny_committees_comments(app: App,
                                                                                   clock: SimulatedClock) -> None:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    player = Player(app.engine, clock, app.engine.catalog.load(SHIPPED), CYCLE, 2021)
    while app.engine.status(CYCLE).stage != "consultation":
        player.play_stage(app.engine.status(CYCLE).stage)
    waited = work_of(app.engine, AUTHOR).waiting_for
    # The author leads the consultation, so the strands a consultation lead moves are theirs to do, not to wait for.
    assert [(i.kind, i.strand, i.from_whom) for i in waited] == [
        ("strand", "scrutiny_comments", "Daniel Osei (scrutiny officer)")]
    assert waited[0].title == "the strand 'Community and Housing Scrutiny Committee comments' to be completed"
    assert waited[0].due == dt.date(2021, 11, 30)  # the committee's November meeting


def test_the_refusal_names_who_records_the_decision(waiting: App) -> None:
    with pytest.raises(GateNotMet) as refused:
        waiting.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    assert str(refused.value) == (
        "'Early findings discussed at MK Together Management Board' is not possible yet: the MK Together "
        "Management Board has not yet recorded its decision on 'Strategic assessment - early findings'; "
        "Helen Marsh (committee manager) records it")


def test_cycle_mywork_lists_what_it_waits_for_and_from_whom(waiting: App) -> None:
    env = {"CYCLE_DATA_DIR": str(waiting.settings.data_dir), "CYCLE_DATABASE_URL": waiting.settings.database_url,
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-05T10:00:00+01:00",
           "COLUMNS": "250"}
    shown = CliRunner().invoke(main, ["mywork", "--as", AUTHOR], env=env, terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "they wait for others, as below" in shown.output
    assert "Waiting for" in shown.output and "Helen Marsh" in shown.output  # the table wraps its role
    only_waits = CliRunner().invoke(main, ["mywork", "--as", AUTHOR, "--waiting"], env=env, terminal_width=200)
    assert only_waits.exit_code == 0, only_waits.output
    assert "Waiting for" in only_waits.output and "they wait for others" not in only_waits.output
    # --json prints the list to do, as it always has; --waiting --json the list waited for.
    assert json.loads(CliRunner().invoke(main, ["mywork", "--as", AUTHOR, "--json"], env=env).stdout) == []
    waits = CliRunner().invoke(main, ["mywork", "--as", AUTHOR, "--waiting", "--json"], env=env)
    assert waits.exit_code == 0, waits.output
    [waited] = json.loads(waits.stdout)
    assert waited["who"] == [{"person": CLERK, "name": "Helen Marsh", "role": "committee manager"}]
    assert waited["from_whom"] == "Helen Marsh (committee manager)"
    assert (waited["since"], waited["due"], waited["step"]) == (
        "2021-07-01", "2021-07-13", "Early findings discussed at MK Together Management Board")
    to_do = CliRunner().invoke(main, ["mywork", "--as", CLERK, "--json"], env=env)
    assert [(i["kind"], i["board"], i["item"]) for i in json.loads(to_do.stdout)] == [
        ("decide", "mk_together", "early_findings")]
    assert json.loads(CliRunner().invoke(main, ["mywork", "--as", CLERK, "--waiting", "--json"], env=env).stdout) == []
    nothing = CliRunner().invoke(main, ["mywork", "--as", CLERK, "--waiting"], env=env, terminal_width=200)
    assert nothing.exit_code == 0 and f"{CLERK} waits for nobody in the running cycles just now" in nothing.output


def test_a_gate_nobody_in_the_directory_can_meet_says_so() -> None:
    definition = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")
    no_one = dataclasses.replace(definition, permissions={**definition.permissions, "decide": ()})
    facts = Facts(today=dt.date(2021, 8, 2), timeline=Timeline(no_one, 2021))
    assert gate_rules.unmet(DecisionGate("risk_board", "strategic_assessment"), no_one, facts) == (
        "the Risk Board has not yet recorded its decision on 'Annual Strategic Assessment'; nobody in the directory "
        "holds a role that may record it")


def test_open_strands_name_who_completes_each() -> None:
    definition = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")
    facts = Facts(today=dt.date(2021, 11, 1), timeline=Timeline(definition, 2021),
                  strands={"young_people": ("consultation", "held", False),
                           "scrutiny_comments": ("consultation", "scheduled", False),
                           "online_survey": ("consultation", "closed", True)},
                  entered={"consultation": dt.date(2021, 9, 24)})
    said = gate_rules.unmet(StrandsGate("consultation"), definition, facts)
    assert said is not None and "SaferMK Community Safety Survey" not in said  # complete: not waited for
    assert said.endswith(
        "Priya Shah (consultation lead) or Tom Whitfield (consultation lead) completes 'Young people through schools, "
        "the youth participation team and the youth offending team', Daniel Osei (scrutiny officer) completes "
        "'Community and Housing Scrutiny Committee comments'")
