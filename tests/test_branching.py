"""A decision's outcome chooses the way on: `outcome:` on a decision gate, `stays_on:` on the stage.

On tests/data/review.yaml: the partnership decides whether to commission a review; carried, the case goes on to
form a panel; not carried, it closes; deferred, it stays and waits for the next meeting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from notifications.record_parts import carried
from tests.conftest import make_settings
from tests.helpers import counts, cycle_version
from web.pages.cycle_gates import fireable, meetable
from workflow.app import App, build
from workflow.definition import gates as gate_rules
from workflow.errors import GateNotMet
from workflow.reads.mywork import work_of
from workflow.time.clock import SimulatedClock

DATA = Path(__file__).resolve().parent / "data"
CYCLE = "review-2021"
BOARD = ["member_a", "member_b", "member_c"]


@pytest.fixture
def review(tmp_path: Path, clock: SimulatedClock) -> Iterator[App]:
    app = build(dataclasses.replace(make_settings(tmp_path), definitions_dir=DATA), clock=clock)
    app.engine.start("review", 2021, "case_officer")
    yield app
    app.close()


def test_carried_goes_one_way(review: App) -> None:
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_for=BOARD)
    with pytest.raises(GateNotMet) as refused:
        review.engine.fire(CYCLE, "close_not_commissioned", "case_officer")
    assert ("the Partnership board's decision on 'Commission a review' was carried, and this step is taken only "
            "when it is not carried; it leads to 'Commission the review' instead") in str(refused.value)
    review.engine.fire(CYCLE, "commission_review", "case_officer")
    assert review.engine.status(CYCLE).stage == "forming_panel"


def test_not_carried_goes_the_other_way(review: App) -> None:
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_for=["member_a"],
                         votes_against=["member_b", "member_c"])
    before, version = counts(review), cycle_version(review, CYCLE)
    with pytest.raises(GateNotMet) as refused:
        review.engine.fire(CYCLE, "commission_review", "case_officer")
    assert ("the Partnership board's decision on 'Commission a review' was not carried, and this step is taken only "
            "when it is carried; it leads to 'Close without a review' instead") in str(refused.value)
    assert counts(review) == before and cycle_version(review, CYCLE) == version  # a refusal writes nothing
    review.engine.fire(CYCLE, "close_not_commissioned", "case_officer")
    status = review.engine.status(CYCLE)
    assert status.stage == "closed"


def test_deferred_stays_and_waits_for_the_next_decision(review: App, clock: SimulatedClock) -> None:
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_for=BOARD, defer=True)
    for trigger in ("commission_review", "close_not_commissioned"):
        with pytest.raises(GateNotMet) as refused:
            review.engine.fire(CYCLE, trigger, "case_officer")
        # Deferred leads nowhere from here (stays_on): the sentence names who records the next decision.
        assert "was deferred, and this step is taken only when it is" in str(refused.value)
        assert "Colin Hart (clerk) records its next decision" in str(refused.value)
    # The clerk is asked to record the next decision; the officer waits for it.
    work = work_of(review.engine, "clerk").to_do
    assert [w.title for w in work if w.kind == "decide"] == [
        "Record the Partnership board's decision on 'Commission a review'"]
    waiting = work_of(review.engine, "case_officer").waiting_for
    assert [w.title for w in waiting] == ["the Partnership board's decision on 'Commission a review'"]
    clock.advance(dt.timedelta(days=28))
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_for=BOARD)
    review.engine.fire(CYCLE, "commission_review", "case_officer")
    assert review.engine.status(CYCLE).stage == "forming_panel"


def test_a_decision_that_leads_on_is_no_longer_waited_for(review: App) -> None:
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_against=BOARD)
    assert not [w for w in work_of(review.engine, "clerk").to_do if w.kind == "decide"]
    assert work_of(review.engine, "case_officer").waiting_for == []
    fire = [w.title for w in work_of(review.engine, "case_officer").to_do if w.kind == "fire"]
    assert fire == ["Close without a review"]


def test_the_gate_says_the_outcome_it_waits_for(review: App) -> None:
    definition = review.engine.catalog.load("review")
    said = [gate_rules.describe(g, definition) for t in definition.transitions for g in t.gates]
    assert said == ["Partnership board carries 'Commission a review' (quorum 2 voting members)",
                    "Partnership board does not carry 'Commission a review' (quorum 2 voting members)",
                    "the Review panel chosen"]


def test_the_cycle_page_words_each_branch_and_offers_the_form_only_while_a_decision_is_needed(review: App) -> None:
    definition = review.engine.catalog.load("review")
    with review.engine.sessions() as session:
        cycle = review.engine.find_cycle(session, CYCLE)
        before = review.engine.facts(session, cycle, definition, review.engine.clock.now())
    officer = fireable(definition, "notified", {"officer"}, before, CYCLE, "case_officer")
    assert [(f.title, [g.title for g in f.gates]) for f in officer] == [
        ("Commission the review", ["Partnership board carries 'Commission a review' (quorum 2 voting members)"]),
        ("Close without a review", ["Partnership board does not carry 'Commission a review' (quorum 2 voting members)"])]
    assert [line.forms for line in meetable(definition, "notified", {"clerk"}, before, CYCLE, "clerk")] == [
        ((f"/cycles/{CYCLE}/decisions/new?board=partnership&item=commission", "Record the Partnership board’s decision"),)]
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_for=BOARD)
    with review.engine.sessions() as session:
        cycle = review.engine.find_cycle(session, CYCLE)
        after = review.engine.facts(session, cycle, definition, review.engine.clock.now())
    ready, other = fireable(definition, "notified", {"officer"}, after, CYCLE, "case_officer")
    assert ready.ready and not other.ready
    assert other.gates[0].missing == ("the Partnership board's decision on 'Commission a review' was carried, and this "
                                      "step is taken only when it is not carried; it leads to 'Commission the review' "
                                      "instead")
    assert meetable(definition, "notified", {"clerk"}, after, CYCLE, "clerk") == []  # nothing more to record


def test_a_record_lists_the_decision_a_branch_was_taken_on(review: App) -> None:
    review.engine.decide(CYCLE, "partnership", "commission", "clerk", votes_against=BOARD,
                         resolution="That a review not be commissioned.")
    definition = review.engine.catalog.load("review")
    with review.engine.sessions() as session:
        cycle = review.engine.find_cycle(session, CYCLE)
        listed = carried(session, cycle, definition, review.engine.clock.now())
    assert [(d["item_title"], d["outcome"], d["resolution"]) for d in listed] == [
        ("Commission a review", "lost", "That a review not be commissioned.")]
