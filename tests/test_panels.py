"""A panel chosen for a cycle at its stage, independent of the boards and panels the definition says.

On tests/data/review.yaml: the review panel is chosen from the reviewers, independent of the chair's agency,
whose one member is also a reviewer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.helpers import counts
from workflow.app import App, build
from workflow.cli import main
from workflow.commands.panels import NotIndependent, choose_panel, chosen_panels
from workflow.definition.independence import shared_with
from workflow.definition.loader import parse_definition
from workflow.errors import DefinitionError, GateNotMet, InvalidInput, Refused, RoleMissing
from workflow.player import Player, Step
from workflow.reads.mywork import work_of
from workflow.store.models import Cycle, PanelMember
from workflow.time.clock import SimulatedClock

DATA = Path(__file__).resolve().parent / "data"
CYCLE = "review-2021"
BOARD = ["member_a", "member_b", "member_c"]


def panel_rows(app: App) -> int:
    with app.engine.sessions() as session:
        return session.scalar(select(func.count()).select_from(PanelMember)) or 0


@pytest.fixture
def forming(tmp_path: Path, clock: SimulatedClock) -> Iterator[App]:
    """A review cycle at the stage that forms its panel."""
    app = build(dataclasses.replace(make_settings(tmp_path), definitions_dir=DATA), clock=clock)
    app.engine.start("review", 2021, "case_officer")
    app.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_for=BOARD)
    app.engine.fire(CYCLE, "commission_review", "case_officer")
    yield app
    app.close()


def test_a_panel_is_recorded_and_a_second_choice_replaces_the_first(forming: App) -> None:
    chosen = choose_panel(forming.engine, CYCLE, "review_panel", ["reviewer_2", "reviewer_3"], "clerk")
    assert (chosen.name, chosen.choice, chosen.members) == ("Review panel", 1, ("reviewer_2", "reviewer_3"))
    again = choose_panel(forming.engine, CYCLE, "review_panel", ["reviewer_3"], "clerk")
    assert again.choice == 2
    with forming.engine.sessions() as session:
        cycle = session.scalars(select(Cycle).where(Cycle.key == CYCLE)).one()
        assert chosen_panels(session, cycle) == {"review_panel": ["reviewer_3"]}
    assert panel_rows(forming) == 3  # the first choice stays on record
    history = forming.engine.history(CYCLE)
    assert [h["data"]["members"] for h in history if h["action"] == "choose_panel"] == [
        ["reviewer_2", "reviewer_3"], ["reviewer_3"]]


def test_a_panel_sharing_a_member_with_what_it_is_independent_of_is_refused(forming: App) -> None:
    before, rows = counts(forming), panel_rows(forming)
    with pytest.raises(NotIndependent) as refused:
        choose_panel(forming.engine, CYCLE, "review_panel", ["reviewer_1", "reviewer_2"], "clerk")
    assert str(refused.value) == ("the Review panel must be independent of the Chair's agency, but Dee Ross "
                                  "(Detective inspector) sits on the Chair's agency; choose someone else")
    assert counts(forming) == before and panel_rows(forming) == rows


def test_members_roles_and_stage_are_checked(forming: App, tmp_path: Path, clock: SimulatedClock) -> None:
    with pytest.raises(InvalidInput, match="Ann Lee \\(Police commander\\) holds none of the roles the Review panel "
                                           "is chosen from: reviewer"):
        choose_panel(forming.engine, CYCLE, "review_panel", ["member_a"], "clerk")
    with pytest.raises(InvalidInput, match="'reviewer_9' is not in the directory of 'review' — did you mean"):
        choose_panel(forming.engine, CYCLE, "review_panel", ["reviewer_9"], "clerk")
    with pytest.raises(InvalidInput, match="'review' has no panel 'reveiw_panel' — did you mean 'review_panel'"):
        choose_panel(forming.engine, CYCLE, "reveiw_panel", ["reviewer_2"], "clerk")
    with pytest.raises(RoleMissing):
        choose_panel(forming.engine, CYCLE, "review_panel", ["reviewer_2"], "case_officer")
    forming.engine.start("review", 2022, "case_officer")  # a second cycle, not yet at the panel's stage
    with pytest.raises(Refused, match="the Review panel is chosen at the stage 'Panel formed'; cycle review-2022 is "
                                      "at 'Notified of a death'"):
        choose_panel(forming.engine, "review-2022", "review_panel", ["reviewer_2"], "clerk")
    assert panel_rows(forming) == 0


def test_the_command_line_refuses_a_panel_that_is_not_independent(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(DATA),
           "CYCLE_NOW": "2021-07-01T10:00:00+01:00"}
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), env=env)
        return result.exit_code, " ".join(result.output.split())

    assert run("start", "review", "--year", "2021", "--as", "case_officer")[0] == 0
    assert run("decide", CYCLE, "--board", "partnership", "--item", "commission", "--as", "clerk",
               "--for", ",".join(BOARD))[0] == 0
    assert run("fire", CYCLE, "commission_review", "--as", "case_officer")[0] == 0
    code, said = run("panel", "choose", CYCLE, "--panel", "review_panel", "--member", "reviewer_1",
                     "--member", "reviewer_3", "--as", "clerk")
    assert code == 3
    assert ("the Review panel must be independent of the Chair's agency, but Dee Ross (Detective inspector) sits on "
            "the Chair's agency; choose someone else") in said
    assert "Traceback" not in said
    code, history = run("history", CYCLE)
    assert "choose_panel" not in history  # nothing written
    code, said = run("panel", "choose", CYCLE, "--panel", "review_panel", "--member", "reviewer_2",
                     "--member", "reviewer_3", "--as", "clerk")
    assert code == 0
    assert said == "the Review panel of review-2021 is chosen: reviewer_2, reviewer_3"


def test_two_panels_independent_of_each_other_are_checked_both_ways() -> None:
    text = (DATA / "review.yaml").read_text(encoding="utf-8").replace(
        "  under_review: {title: Under review, final: true}",
        "  under_review:\n    title: Under review\n"
        "    panel: {id: scrutiny_panel, name: Scrutiny panel, choose_from: [reviewer], independent_of: review_panel}\n"
        "  reviewed: {title: Reviewed, final: true}").replace(
        "transitions:\n", "transitions:\n  - {trigger: finish, source: under_review, dest: reviewed, roles: [officer]}\n")
    definition = parse_definition(text)
    first = {"review_panel": ["reviewer_2", "reviewer_3"]}
    assert shared_with(definition, "scrutiny_panel", ["reviewer_1", "reviewer_3"], first) == [
        ("review_panel", ["reviewer_3"])]
    # The review panel chosen again is checked against the scrutiny panel, which declared itself independent of it.
    second = {"scrutiny_panel": ["reviewer_2"]}
    assert shared_with(definition, "review_panel", ["reviewer_2", "reviewer_3"], second) == [
        ("scrutiny_panel", ["reviewer_2"])]
    assert shared_with(definition, "review_panel", ["reviewer_3"], second) == []


def test_the_stage_waits_for_its_panel(forming: App) -> None:
    with pytest.raises(GateNotMet) as refused:
        forming.engine.fire(CYCLE, "start_review", "case_officer")
    assert "the Review panel has not been chosen yet; Colin Hart (clerk) chooses it" in str(refused.value)
    waiting = work_of(forming.engine, "case_officer").waiting_for
    assert [(w.kind, w.title, w.from_whom) for w in waiting] == [
        ("panel", "the Review panel to be chosen", "Colin Hart (clerk)")]
    choose_panel(forming.engine, CYCLE, "review_panel", ["reviewer_2", "reviewer_3"], "clerk")
    assert [w.title for w in work_of(forming.engine, "case_officer").to_do if w.kind == "fire"] == ["Start the review"]
    forming.engine.fire(CYCLE, "start_review", "case_officer")
    assert forming.engine.status(CYCLE).stage == "under_review"


def test_the_player_forms_an_independent_panel_and_plays_a_case_to_the_end(tmp_path: Path,
                                                                           clock: SimulatedClock) -> None:
    app = build(dataclasses.replace(make_settings(tmp_path), definitions_dir=DATA), clock=clock)
    try:
        app.engine.start("review", 2021, "case_officer")
        steps: list[Step] = []
        Player(app.engine, clock, app.engine.catalog.load("review"), CYCLE, 2021, on_step=steps.append).play()
        assert app.engine.status(CYCLE).stage == "under_review"  # the carried way, never the branch that closes
        assert [s.text for s in steps if s.kind == "panel"] == ["Review panel chosen: reviewer_2, reviewer_3"]
    finally:
        app.close()


def test_a_panel_on_a_final_stage_is_refused_at_load() -> None:
    text = (DATA / "review.yaml").read_text(encoding="utf-8").replace(
        "  under_review: {title: Under review, final: true}",
        "  under_review:\n    title: Under review\n    final: true\n    panel: {id: late_panel, choose_from: [reviewer]}")
    with pytest.raises(DefinitionError) as problems:
        parse_definition(text, "review.yaml")
    [problem] = problems.value.problems
    assert (problem.line, problem.field) == (52, "stages.under_review.panel")
    assert "a final stage ends the cycle" in problem.message
