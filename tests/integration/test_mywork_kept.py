"""My work is kept between requests, and a change made anywhere shows on the next request.

Two engines on one PostgreSQL database stand for two server processes: each has read (and kept)
a person's work before one of them changes a cycle, through the command a person uses; the next
request on either shows the change, the same as an engine that kept nothing. One test per kind of
write My work reads: a paper attached, a decision recorded, rescinded and amended, a stage moved on,
a strand moved, a meeting moved, a panel chosen, a case field set, a move to another definition
version; and a new day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEFINITIONS, first_version, make_settings
from tests.helpers import AUTHOR, CLERK, CYCLE, carry, meet, paper_file
from tests.test_cycle_upgrade import version_two
from workflow.app import App, build
from workflow.commands.meetings import change_meeting
from workflow.commands.migrate import migrate
from workflow.commands.panels import choose_panel
from workflow.definition.gates import Facts
from workflow.player import Player
from workflow.reads.kept_work import KeptWork, kept_for
from workflow.reads.mywork import work_of
from workflow.time.clock import SimulatedClock, at_local

SHIPPED = "community_safety_strategy"
PSPO = "alcohol_pspo_variation-2021"
PSPO_LEAD = "community_safety_officer"
DATA = Path(__file__).resolve().parent.parent / "data"
BOARD = ["member_a", "member_b", "member_c"]


@dataclasses.dataclass
class Two:
    """The engine that writes (`a`), another that only reads (`b`), and how to build one that kept nothing."""

    a: App
    b: App
    fresh: Any

    def seen(self, who: str) -> tuple[list[Any], list[Any]]:
        """What `who` sees on both engines; they must agree with each other and with an engine keeping nothing."""
        shown = [_shown(app, who) for app in (self.a, self.b)]
        cold = self.fresh()
        try:
            assert shown == [_shown(cold, who)] * 2
        finally:
            cold.close()
        return shown[0]


def _shown(app: App, who: str) -> tuple[list[Any], list[Any]]:
    work = work_of(app.engine, who)
    return ([(i.kind, i.cycle, i.title, i.due, i.working_days_left, i.strand_triggers) for i in work.to_do],
            [(i.kind, i.cycle, i.title, i.due, i.working_days_left, i.from_whom) for i in work.waiting_for])


def _two(pg_app: App, pg_url: str, tmp_path: Path, clock: SimulatedClock, definitions: Path) -> Iterator[Two]:
    def make(name: str) -> App:
        settings = dataclasses.replace(make_settings(tmp_path / name, pg_url), definitions_dir=definitions)
        return build(settings, clock=clock)

    a, b = make("a"), make("b")
    yield Two(a, b, lambda: make("fresh"))
    a.close()
    b.close()


@pytest.fixture
def two(pg_app: App, pg_url: str, tmp_path: Path, clock: SimulatedClock) -> Iterator[Two]:
    """The shipped strategy, its 2021 cycle started by the report author."""
    yield from _two(pg_app, pg_url, tmp_path, clock, DEFINITIONS)


@pytest.fixture
def cases(pg_app: App, pg_url: str, tmp_path: Path, clock: SimulatedClock) -> Iterator[Two]:
    """The case review (fields) and the review that forms a panel."""
    defs = tmp_path / "definitions"
    defs.mkdir()
    for name in ("case_review.yaml", "review.yaml"):
        shutil.copy(DATA / name, defs / name)
    shutil.copytree(DATA / "templates", defs / "templates")
    clock.set(at_local(dt.date(2026, 4, 7), 9))
    yield from _two(pg_app, pg_url, tmp_path, clock, defs)


def test_a_paper_attached_leaves_the_to_do_list_everywhere(two: Two, tmp_path: Path) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    to_do, waiting = two.seen(AUTHOR)
    assert [i[0] for i in to_do] == ["attach"]
    two.a.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "findings"), AUTHOR)
    to_do, waiting = two.seen(AUTHOR)
    assert to_do == [] and [i[0] for i in waiting] == ["decision"]


def test_a_decision_recorded_rescinded_and_amended_shows_on_the_next_request(two: Two, tmp_path: Path) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    two.a.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "findings"), AUTHOR)
    decide = [("decide", CYCLE, "Record the MK Together Management Board's decision on 'Strategic assessment - "
                                "early findings'")]
    assert [i[:3] for i in two.seen(CLERK)[0]] == decide
    carried = _carry(two.a)
    assert two.seen(CLERK)[0] == []
    assert [i[0] for i in two.seen(AUTHOR)[0]] == ["fire"]  # the author's step is open now
    # A rescinded decision is no longer in force: the board has to decide again, and the author's step waits.
    two.a.engine.rescind(CYCLE, carried, CLERK, reason="Recorded against the wrong paper")
    assert [i[:3] for i in two.seen(CLERK)[0]] == decide
    assert two.seen(AUTHOR)[0] == [] and [i[0] for i in two.seen(AUTHOR)[1]] == ["decision"]
    again = _carry(two.a, dt.date(2021, 7, 20))  # at a later meeting
    assert two.seen(CLERK)[0] == []
    # An amendment that defers the item puts it back on the list as well.
    two.a.engine.decide(CYCLE, "mk_together", "early_findings", CLERK, defer=True, amends=again,
                        reason="The vote was taken without a quorum", meeting_date=dt.date(2021, 7, 20))
    assert [i[:3] for i in two.seen(CLERK)[0]] == decide


def _carry(app: App, day: dt.date | None = None) -> int:
    """The board carries the early findings at its meeting (or on `day`, the clock moved there): the decision's id."""
    meet(app, "mk_together", "early_findings")
    if day is not None:
        app.engine.clock.set(at_local(day, 10))  # type: ignore[attr-defined]
    voting = list(app.engine.catalog.load(SHIPPED).boards["mk_together"].voting)
    return app.engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=voting,
                             meeting_date=day).decision_id


def test_a_stage_moved_on_shows_its_own_work(two: Two, tmp_path: Path) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    two.a.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "findings"), AUTHOR)
    carry(two.a, "mk_together", "early_findings")
    before = two.seen(AUTHOR)
    two.a.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    after = two.seen(AUTHOR)
    assert after != before
    assert {i[1] for i in after[0] + after[1]} == {CYCLE} and all(i[3] != before[0][0][3] for i in after[0])


def test_a_strand_moved_leaves_the_wait(two: Two, clock: SimulatedClock) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    player = Player(two.a.engine, clock, two.a.engine.catalog.load(SHIPPED), CYCLE, 2021)
    while two.a.engine.status(CYCLE).stage != "consultation":
        player.play_stage(two.a.engine.status(CYCLE).stage)
    assert [i[0] for i in two.seen(AUTHOR)[1]] == ["strand"]
    assert [(i[0], i[5]) for i in two.seen("scrutiny_officer")[0] if i[0] == "strand"] == [
        ("strand", (("record_comments", "Record the committee's comments"),))]
    two.a.engine.fire(CYCLE, "record_comments", "scrutiny_officer", strand="scrutiny_comments")
    assert two.seen(AUTHOR)[1] == []
    assert [i for i in two.seen("scrutiny_officer")[0] if i[0] == "strand"] == []


def test_a_meeting_moved_moves_the_due_date(two: Two, tmp_path: Path) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    assert {i[3] for i in two.seen(AUTHOR)[0]} == {dt.date(2021, 7, 13)}  # the board's July meeting
    change_meeting(two.a.engine, CYCLE, "mk_together_july", CLERK, reason="The chair is away",
                   day=dt.date(2021, 7, 20))
    assert {i[3] for i in two.seen(AUTHOR)[0]} == {dt.date(2021, 7, 20)}


def test_a_new_day_counts_the_working_days_again(two: Two, clock: SimulatedClock) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    [(*_, left, _)] = two.seen(AUTHOR)[0]
    clock.advance(dt.timedelta(days=1))  # 1 July 2021 was a Thursday: Friday is one working day nearer
    [(*_, later, _)] = two.seen(AUTHOR)[0]
    assert later == left - 1


def test_a_panel_chosen_opens_the_step(cases: Two) -> None:
    cases.a.engine.start("review", 2026, "case_officer")
    cases.a.engine.decide("review-2026", "partnership", "commission", "clerk", votes_for=BOARD)
    cases.a.engine.fire("review-2026", "commission_review", "case_officer")
    assert "Start the review" not in [i[2] for i in cases.seen("case_officer")[0]]
    choose_panel(cases.a.engine, "review-2026", "review_panel", ["reviewer_2", "reviewer_3"], "clerk")
    assert "Start the review" in [i[2] for i in cases.seen("case_officer")[0]]


def test_a_case_field_set_opens_the_step(cases: Two) -> None:
    cases.a.engine.start("case_review", 2026, "officer_a",
                         fields={"subject_name": "Alex Example", "date_of_death": "2026-03-14"})
    assert "Commission the review" not in [i[2] for i in cases.seen("officer_a")[0]]
    cases.a.engine.set_fields("case_review-2026", {"panel_size": "4"}, "officer_a")  # at the same moment
    assert "Commission the review" in [i[2] for i in cases.seen("officer_a")[0]]


def test_a_stage_counted_from_its_entry_is_due_when_the_cycle_page_says(cases: Two, clock: SimulatedClock) -> None:
    clock.set(at_local(dt.date(2026, 6, 1), 9))  # notified well after the year began
    cases.a.engine.start("case_review", 2026, "officer_a",
                         fields={"subject_name": "Alex Example", "date_of_death": "2026-03-14", "panel_size": "4"})
    due = cases.a.engine.status("case_review-2026").due
    assert due == "2026-06-29"  # 20 working days after 1 June
    assert [(i[2], str(i[3])) for i in cases.seen("officer_a")[0]] == [("Commission the review", due)]


@pytest.fixture
def pspo(pg_app: App, pg_url: str, tmp_path: Path, clock: SimulatedClock) -> Iterator[Two]:
    """Version 1 of the PSPO variation, its consultation opened on Monday 14 June 2021."""
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "templates").symlink_to(DEFINITIONS / "templates")
    (defs / "alcohol_pspo_variation.yaml").write_text((DEFINITIONS / "alcohol_pspo_variation.yaml").read_text())
    first_version(defs / "alcohol_pspo_variation.yaml")
    clock.set(at_local(dt.date(2021, 5, 10), 10))
    for two in _two(pg_app, pg_url, tmp_path, clock, defs):
        engine = two.a.engine
        engine.start("alcohol_pspo_variation", 2021, PSPO_LEAD)
        for name in ("evidence_report", "draft_variation", "consultation_document"):
            engine.attach(PSPO, name, paper_file(tmp_path, name), PSPO_LEAD)
        engine.fire(PSPO, "submit_evidence", PSPO_LEAD)
        clock.set(at_local(dt.date(2021, 6, 14), 10))
        engine.fire(PSPO, "launch_consultation", PSPO_LEAD)
        yield two


def test_a_move_to_another_definition_version_shows_its_stage_and_dates(pspo: Two, tmp_path: Path) -> None:
    before = pspo.seen(PSPO_LEAD)
    # The strands of the consultation, due when it closes (eight weeks from the day it opened), the survey two
    # days before.
    assert {i[3] for i in before[0]} == {dt.date(2021, 8, 7), dt.date(2021, 8, 9)}
    version_two(tmp_path / "defs")  # the consultation renamed and lengthened to ten weeks
    migrate(pspo.a.engine, PSPO, 2, "systems_officer", mapping={"consultation": "public_consultation"})
    after = pspo.seen(PSPO_LEAD)
    assert {i[3] for i in after[0]} == {dt.date(2021, 8, 21), dt.date(2021, 8, 23)}
    assert [i[2] for i in after[0]] == [i[2] for i in before[0]]


def test_each_engine_keeps_its_own_work_and_only_so_many_cycles(two: Two) -> None:
    two.a.engine.start(SHIPPED, 2021, AUTHOR)
    two.a.engine.start(SHIPPED, 2022, AUTHOR)
    assert len(two.seen(AUTHOR)[0]) == 2
    assert kept_for(two.a.engine) is not kept_for(two.b.engine) and len(kept_for(two.a.engine)) == 2
    kept = KeptWork(cycles=1)
    kept.keep_facts(1, ("a-2021", "a", 1, 1), Facts(today=dt.date(2021, 7, 1), timeline=None))  # type: ignore[arg-type]
    kept.keep_facts(2, ("a-2022", "a", 1, 1), Facts(today=dt.date(2021, 7, 1), timeline=None))  # type: ignore[arg-type]
    assert len(kept) == 1 and kept.facts(1, ("a-2021", "a", 1, 1)) is None
    assert kept.facts(2, ("a-2022", "a", 1, 2)) is None, "kept for another version of the cycle"
