"""A board meeting's agenda: the items gathered for the MK Together Management Board's July 2021 meeting, their
order and numbering, the private part after the exclusion item, who sees what, and the committee manager's changes
and issue (with every refusal writing nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.agenda_setup import BOARD, JULY, agenda_app, organised_app
from tests.helpers import AUTHOR, CLERK, CYCLE, paper_file
from workflow.app import App
from workflow.commands import agenda as commands
from workflow.commands.agenda_build import issue_by
from workflow.errors import InvalidInput, NotFound, RoleMissing, UnknownActor
from workflow.reads.agenda import agenda, meetings, public_agenda
from workflow.reads.agenda_pack import pack_agenda
from workflow.store.models import AgendaChange, OutboxEvent

__all__ = ["agenda_app", "organised_app"]


def _titles(items: tuple) -> list[tuple[int, str]]:  # type: ignore[type-arg]
    return [(i.number, i.title) for i in items]


def _changes(app: App) -> int:
    with app.engine.sessions() as session:
        return session.scalar(select(func.count()).select_from(AgendaChange)) or 0


def test_standard_items_then_business_then_the_private_part_numbered_through(agenda_app: App) -> None:
    seen = agenda(agenda_app.engine, BOARD, JULY, CLERK)
    assert _titles(seen.public_items) == [
        (1, "Welcome, Introductions and Apologies"), (2, "Minutes"), (3, "Disclosure of Interests"),
        (4, "Overview of Partnership Activity"), (5, "Strategic assessment - early findings"),
        (6, "Date of Next Meeting"), (7, "Exclusion of Public and Press")]
    assert _titles(seen.private_items) == [(8, "Strategic assessment - early findings: exempt information")]
    decision = seen.public_items[4]
    assert (decision.purpose, decision.author_name, decision.reference) == (
        "For decision", "Priya Shah", "community_safety_strategy-2021")
    assert [p.title for p in decision.papers] == ["Strategic assessment - early findings"]
    assert seen.public_items[3].purpose == "For information"
    assert "Paragraph 2 of Part 1 of Schedule 12A" in seen.public_items[6].description
    assert seen.private_items[0].exempt_paragraph == 2 and seen.exempt_paragraphs == (2,)
    assert [p.title for p in seen.private_items[0].papers] == ["Named victims annex"]
    assert "Tuesday 22 February 2022 at 2.00 pm" in seen.public_items[5].description
    assert (seen.title, seen.start, seen.manager_name) == ("MK Together Management Board (July)", dt.time(14),
                                                           "Helen Marsh")
    assert seen.membership.chair is not None and seen.membership.chair.name == "Jonathan Ellery"
    assert seen.membership.chair_votes and len(seen.membership.voting) == 5
    assert seen.issue_by == dt.date(2021, 7, 5) and seen.issued is None


def test_the_public_and_those_not_entitled_see_no_private_item(agenda_app: App) -> None:
    public = public_agenda(agenda_app.engine, BOARD, JULY)
    assert public.private_items == () and public.exempt_paragraphs == (2,)
    assert public.public_items[-1].standard == "exclusion"
    assert "Named victims annex" not in repr(public)
    voter = agenda(agenda_app.engine, BOARD, JULY, "director.policy@example.org")
    assert [p.title for p in voter.private_items[0].papers] == ["Named victims annex"]


def test_someone_off_the_board_may_not_read_it_and_no_meeting_is_not_found(agenda_app: App) -> None:
    with pytest.raises(RoleMissing, match="for the members of the MK Together Management Board"):
        agenda(agenda_app.engine, BOARD, JULY, "scrutiny_chair")
    with pytest.raises(NotFound, match="no meeting on 14 July 2021"):
        agenda(agenda_app.engine, BOARD, dt.date(2021, 7, 14), CLERK)
    with pytest.raises(NotFound, match="no cycle has a board 'nope'"):
        agenda(agenda_app.engine, "nope", JULY, CLERK)


def test_the_committee_manager_adds_moves_and_withdraws_items(agenda_app: App) -> None:
    engine = agenda_app.engine
    added = commands.add_item(engine, BOARD, JULY, CLERK, title="Thames Valley Police and Criminal Justice Plan",
                              purpose="For information", author="police_area_commander")
    item = next(i for i in added.public_items if i.key.startswith("added:"))
    assert (item.number, item.author_name) == (6, "Supt Gareth Lewis")
    moved = commands.move_item(engine, BOARD, JULY, CLERK, item.key, to=4)
    assert _titles(moved.public_items)[3] == (4, "Thames Valley Police and Criminal Justice Plan")
    up = commands.move_item(engine, BOARD, JULY, CLERK, "4", up=True)
    assert _titles(up.public_items)[2] == (3, "Thames Valley Police and Criminal Justice Plan")
    gone = commands.withdraw_item(engine, BOARD, JULY, CLERK, "fixed:1", reason="No overview this time")
    assert "Overview of Partnership Activity" not in [i.title for i in gone.items]
    private = commands.add_item(engine, BOARD, JULY, CLERK, title="Domestic Homicide Reviews", exempt=1)
    assert _titles(private.private_items)[-1] == (len(private.items), "Domestic Homicide Reviews")
    assert "Paragraphs 1 and 2" in private.public_items[-1].description
    assert _changes(agenda_app) == 5


@pytest.mark.parametrize(("actor", "error", "words"), [
    (AUTHOR, RoleMissing, "cannot change or issue the agendas"),
    # May record decisions and organises the scrutiny committee, but is not on MK Together's board.
    ("scrutiny_officer", RoleMissing, "cannot change or issue the agendas of the MK Together Management Board"),
    ("nobody", UnknownActor, "not in the directory"),
])
def test_only_the_committee_manager_changes_it_and_nothing_is_written_otherwise(
        agenda_app: App, actor: str, error: type[Exception], words: str) -> None:
    engine = agenda_app.engine
    with pytest.raises(error, match=words):
        commands.add_item(engine, BOARD, JULY, actor, title="Any other business")
    with pytest.raises(error, match=words):
        commands.move_item(engine, BOARD, JULY, actor, "1", down=True)
    with pytest.raises(error, match=words):
        commands.withdraw_item(engine, BOARD, JULY, actor, "8", reason="Not needed")
    with pytest.raises(error, match=words):
        commands.issue(engine, BOARD, JULY, actor)
    with pytest.raises(error, match=words.replace("change or issue the agendas", "make the agenda packs")):
        pack_agenda(engine, BOARD, JULY, actor, private=True)
    assert _changes(agenda_app) == 0


def test_unknown_item_exclusion_and_bad_input_are_refused_with_nothing_written(agenda_app: App) -> None:
    engine = agenda_app.engine
    with pytest.raises(InvalidInput, match="no item 'std:apology' — did you mean 'std:apologies'"):
        commands.withdraw_item(engine, BOARD, JULY, CLERK, "std:apology", reason="x")
    with pytest.raises(InvalidInput, match="not moved or withdrawn"):
        commands.move_item(engine, BOARD, JULY, CLERK, "7", up=True)
    with pytest.raises(InvalidInput, match="already in place 1"):
        commands.move_item(engine, BOARD, JULY, CLERK, "1", to=1)
    with pytest.raises(InvalidInput, match="paragraphs 1 to 7"):
        commands.add_item(engine, BOARD, JULY, CLERK, title="X", exempt=9)
    with pytest.raises(InvalidInput, match="say why"):
        commands.withdraw_item(engine, BOARD, JULY, CLERK, "1", reason=" ")
    assert _changes(agenda_app) == 0


def test_issue_then_changes_are_refused_until_a_reissue_which_makes_version_two(agenda_app: App) -> None:
    engine = agenda_app.engine
    issued = commands.issue(engine, BOARD, JULY, CLERK)
    assert (issued.version, issued.late) == (1, False)
    assert issued.agenda.issued is not None and issued.agenda.issued.version == 1
    with engine.sessions() as session:
        event = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "AgendaIssued")).one()
    assert {k: event.payload[k] for k in ("board", "day", "version", "late", "issue_by", "cycle_ids")} == {
        "board": BOARD, "day": "2021-07-13", "version": 1, "late": False, "issue_by": "2021-07-05", "cycle_ids": [1]}
    with pytest.raises(InvalidInput, match="has not changed since"):
        commands.issue(engine, BOARD, JULY, CLERK)
    with pytest.raises(InvalidInput, match="issued as version 1; to change it"):
        commands.withdraw_item(engine, BOARD, JULY, CLERK, "4", reason="Not ready")
    assert _changes(agenda_app) == 1
    changed = commands.withdraw_item(engine, BOARD, JULY, CLERK, "4", reason="Not ready", reissue=True)
    assert changed.changed_since_issue
    assert commands.issue(engine, BOARD, JULY, CLERK).version == 2


def test_issue_after_the_notice_deadline_is_allowed_and_said_to_be_late(agenda_app: App) -> None:
    agenda_app.engine.clock.set(dt.datetime(2021, 7, 6, 9, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    assert commands.issue(agenda_app.engine, BOARD, JULY, CLERK).late


def test_nothing_changes_after_the_meeting(agenda_app: App) -> None:
    agenda_app.engine.clock.set(dt.datetime(2021, 7, 14, 9, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="was held on 13 July 2021"):
        commands.issue(agenda_app.engine, BOARD, JULY, CLERK)
    assert _changes(agenda_app) == 0


@pytest.mark.parametrize(("meeting", "notice", "deadline"), [
    (dt.date(2021, 6, 30), 5, dt.date(2021, 6, 22)),   # the seed's meeting: "Issue by Tuesday 22 June 2021"
    (dt.date(2021, 6, 1), 5, dt.date(2021, 5, 21)),    # Monday 31 May 2021 is the late May bank holiday
    (dt.date(2021, 6, 2), 5, dt.date(2021, 5, 24)),
    (dt.date(2021, 9, 2), 5, dt.date(2021, 8, 24)),    # Monday 30 August 2021 is the summer bank holiday
    (dt.date(2021, 9, 2), 3, dt.date(2021, 8, 26)),
])
def test_the_issue_deadline_counts_clear_working_days_around_bank_holidays(
        meeting: dt.date, notice: int, deadline: dt.date) -> None:
    assert issue_by(meeting, notice) == deadline


def test_a_boards_meetings_are_listed_by_day(agenda_app: App) -> None:
    assert meetings(agenda_app.engine, BOARD) == [(JULY, "MK Together Management Board (July)"),
                                                  (dt.date(2022, 2, 22), "MK Together Management Board (February)")]


def test_observers_and_advisors_of_safer_mk_see_no_private_item_its_voting_members_do(agenda_app: App,
                                                                                      tmp_path: Path) -> None:
    september = dt.date(2021, 9, 8)
    agenda_app.engine.attach("community_safety_strategy-2021", "strategic_assessment", paper_file(tmp_path, "dhr"),
                             AUTHOR, exempt=2, title="Domestic homicide review: family details",
                             stage="assessment_presented")
    for reader in ("observer_councillor_a", "vcse_representative"):
        seen = agenda(agenda_app.engine, "safer_mk", september, reader)
        assert seen.private_items == () and seen.exempt_paragraphs == (2,)
        assert "family details" not in repr(seen)
    voter = agenda(agenda_app.engine, "safer_mk", september, "council_chief_executive")
    assert [p.title for i in voter.private_items for p in i.papers] == ["Domestic homicide review: family details"]
    assert voter.membership.chair is not None and not voter.membership.chair_votes
    assert (len(voter.membership.voting), len(voter.membership.advisors), len(voter.membership.observers)) == (6, 5, 4)


def test_a_public_and_an_exempt_paper_for_the_same_stage_give_a_public_and_a_private_item(agenda_app: App,
                                                                                           tmp_path: Path) -> None:
    """Safer MK's September meeting: the assessment in public, its annex of named people exempt, both attached
    for the stage that presents it. The public agenda has the item with the public paper; the exempt one is a
    private item of its own."""
    september = dt.date(2021, 9, 8)
    engine = agenda_app.engine
    engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "assessment"), AUTHOR,
                  stage="assessment_presented", title="Strategic assessment 2021")
    engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "names"), AUTHOR, exempt=2,
                  stage="assessment_presented", title="Assessment annex: named people")
    public = public_agenda(engine, "safer_mk", september)
    papers = [p.title for item in public.public_items for p in item.papers]
    assert "Strategic assessment 2021" in papers, "the public paper is on the public agenda"
    assert "Assessment annex: named people" not in papers and not public.private_items
    member = agenda(engine, "safer_mk", september, CLERK)
    private = [p.title for item in member.private_items for p in item.papers]
    assert private == ["Assessment annex: named people"]


def test_whether_it_changed_since_issue_and_its_cycles_are_told_over_what_the_reader_sees(agenda_app: App) -> None:
    engine = agenda_app.engine
    commands.withdraw_item(engine, BOARD, JULY, CLERK, "cycle:1:early_findings", reason="Taken in private only")
    commands.issue(engine, BOARD, JULY, CLERK)
    # The cycle's only business left is private: the public is not told the cycle has any.
    assert public_agenda(engine, BOARD, JULY).cycle_ids == ()
    assert agenda(engine, BOARD, JULY, CLERK).cycle_ids == (1,)
    changed = commands.add_item(engine, BOARD, JULY, CLERK, title="Named offenders update", exempt=2, reissue=True)
    assert changed.changed_since_issue and agenda(engine, BOARD, JULY, "director_policy").changed_since_issue
    assert not public_agenda(engine, BOARD, JULY).changed_since_issue  # a private change: nothing the public sees
    commands.add_item(engine, BOARD, JULY, CLERK, title="Any other business", reissue=True)
    assert public_agenda(engine, BOARD, JULY).changed_since_issue


def test_an_organiser_not_entitled_to_a_private_item_can_neither_see_nor_name_it(organised_app: App) -> None:
    engine = organised_app.engine
    seen = commands.move_item(engine, BOARD, JULY, "scrutiny_officer", "1", down=True)
    assert seen.private_items == () and "Named victims annex" not in repr(seen)
    assert pack_agenda(engine, BOARD, JULY, "scrutiny_officer", private=True).private_items == ()
    with pytest.raises(InvalidInput, match="no item '8'") as refused:
        commands.withdraw_item(engine, BOARD, JULY, "scrutiny_officer", "8", reason="x")
    with pytest.raises(InvalidInput) as named:
        commands.withdraw_item(engine, BOARD, JULY, "scrutiny_officer", "cycle:1:early_findings:exemp", reason="x")
    assert "exempt" not in str(refused.value) + str(named.value).replace("early_findings:exemp'", "")
    assert _changes(organised_app) == 1
