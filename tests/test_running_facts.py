"""The lists of cycles (the Cycles page's hold-ups, My work) read the case fields set and the panels chosen
of every running cycle at once, and see them as the one-cycle read does: a step whose field is set or whose
panel is chosen is offered, and no list says it is held up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from workflow.app import App, build
from workflow.commands.panels import choose_panel
from workflow.reads.hold_ups import hold_ups
from workflow.reads.mywork import work_of
from workflow.time.clock import SimulatedClock, at_local

DATA = Path(__file__).resolve().parent / "data"
BOARD = ["member_a", "member_b", "member_c"]


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[App]:
    """The case review (fields) and the review that forms a panel, side by side."""
    defs = tmp_path / "definitions"
    defs.mkdir()
    for name in ("case_review.yaml", "review.yaml"):
        shutil.copy(DATA / name, defs / name)
    shutil.copytree(DATA / "templates", defs / "templates")
    app = build(dataclasses.replace(make_settings(tmp_path), definitions_dir=defs),
                clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    yield app
    app.close()


def fire_steps(app: App, who: str) -> list[str]:
    return [w.title for w in work_of(app.engine, who).to_do if w.kind == "fire"]


def held(app: App, key: str) -> tuple[str, ...]:
    with app.engine.sessions() as session:
        cycle_id = app.engine.find_cycle(session, key).id
    return hold_ups(app.engine)[cycle_id]


def test_a_step_into_a_stage_that_needs_a_field_is_offered_once_the_field_is_set(cases: App) -> None:
    cases.engine.start("case_review", 2026, "officer_a",
                       fields={"subject_name": "Alex Example", "date_of_death": "2026-03-14"})
    cases.engine.start("review", 2026, "case_officer")  # another running cycle, with a panel to choose later
    assert "Commission the review" not in fire_steps(cases, "officer_a")
    assert any("Panel size" in reason for reason in held(cases, "case_review-2026"))
    cases.engine.set_fields("case_review-2026", {"panel_size": "4"}, "officer_a")
    assert fire_steps(cases, "officer_a") == ["Commission the review"]
    assert held(cases, "case_review-2026") == ()
    cases.engine.fire("case_review-2026", "commission", "officer_a")  # and the engine agrees it may be taken
    cases.engine.set_fields("case_review-2026", {"report_due": "2026-09-01"}, "officer_a")
    assert fire_steps(cases, "officer_a") == ["Write the report"]  # comparisons of set fields read alike
    assert held(cases, "case_review-2026") == ()


def test_a_chosen_panel_holds_nothing_up(cases: App) -> None:
    cases.engine.start("review", 2026, "case_officer")
    cases.engine.start("case_review", 2026, "officer_a",
                       fields={"subject_name": "Alex Example", "date_of_death": "2026-03-14"})
    cases.engine.decide("review-2026", "partnership", "commission", "clerk", votes_for=BOARD)
    cases.engine.fire("review-2026", "commission_review", "case_officer")
    assert [r.split(";")[0] for r in held(cases, "review-2026")] == ["the Review panel has not been chosen yet"]
    assert "Start the review" not in fire_steps(cases, "case_officer")
    choose_panel(cases.engine, "review-2026", "review_panel", ["reviewer_2", "reviewer_3"], "clerk")
    assert held(cases, "review-2026") == ()
    assert fire_steps(cases, "case_officer") == ["Start the review"]
