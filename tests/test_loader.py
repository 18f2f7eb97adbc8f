"""Loading the shipped definition: what it says, and what the loader makes of it."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from workflow.definition.calendar import Timeline
from workflow.definition.loader import load_definition, parse_definition
from workflow.definition.machine import CompiledDefinition
from workflow.definition.model import (
    DayMonthDate,
    DecisionGate,
    Definition,
    FixedDate,
    Membership,
    MilestoneDate,
    MonthDate,
    NthWeekdayDate,
    PapersGate,
    StrandsGate,
)

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"
SHIPPED = DEFINITIONS / "community_safety_strategy.yaml"
TEMPLATES = DEFINITIONS / "templates"
SURVEY_DUE = "        due: 3 January\n        at: {close: 3 January}\n"


@pytest.fixture(scope="module")
def shipped() -> Definition:
    return load_definition(SHIPPED)


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def variant(old: str, new: str) -> Definition:
    """The shipped definition with one piece of text changed."""
    text = shipped_text()
    assert text.count(old) == 1, old
    return parse_definition(text.replace(old, new), "variant.yaml", templates_dir=TEMPLATES)


def test_header(shipped: Definition) -> None:
    assert shipped.key == ("community_safety_strategy", 3)
    assert shipped.title == "Community Safety Strategy"
    assert shipped.starts_in == 7
    assert shipped.description.startswith("The statutory annual strategic assessment")
    assert shipped.path == str(SHIPPED)
    assert shipped.source == shipped_text()


def test_nine_stages_in_order_with_one_final(shipped: Definition) -> None:
    assert list(shipped.stages) == [
        "early_findings", "assessment_sign_off", "assessment_presented", "priorities", "consultation",
        "final_draft_sign_off", "final_draft_agreed", "adoption", "adopted",
    ]
    assert shipped.initial == "early_findings"
    assert [s.id for s in shipped.stages.values() if s.final] == ["adopted"]
    assert shipped.stages["assessment_sign_off"].board == "risk_board"
    assert shipped.stages["assessment_sign_off"].due == MilestoneDate("risk_board_august", 0)
    assert shipped.stages["consultation"].due == MonthDate(1)
    assert shipped.stages["consultation"].owner == "consultation_lead"
    assert shipped.stages["adopted"].due is None


def test_eight_transitions_in_order(shipped: Definition) -> None:
    assert [(t.trigger, t.sources, t.dest) for t in shipped.transitions] == [
        ("discuss_early_findings", ("early_findings",), "assessment_sign_off"),
        ("sign_off_assessment", ("assessment_sign_off",), "assessment_presented"),
        ("present_assessment", ("assessment_presented",), "priorities"),
        ("agree_priorities", ("priorities",), "consultation"),
        ("close_consultation", ("consultation",), "final_draft_sign_off"),
        ("sign_off_final_draft", ("final_draft_sign_off",), "final_draft_agreed"),
        ("agree_final_draft", ("final_draft_agreed",), "adoption"),
        ("adopt_strategy", ("adoption",), "adopted"),
    ]
    # Each transition remembers the line it was written on.
    lines = SHIPPED.read_text().splitlines()
    assert [lines[t.line - 1].strip() for t in shipped.transitions][:2] == [
        "- trigger: discuss_early_findings", "- trigger: sign_off_assessment"]


def test_gates_and_timed_transition(shipped: Definition) -> None:
    by_trigger = {t.trigger: t for t in shipped.transitions}
    assert by_trigger["agree_priorities"].gates == (
        PapersGate(("recommended_priorities", "consultation_plan")),
        DecisionGate("risk_board", "priorities", None),
    )
    close = by_trigger["close_consultation"]
    assert close.at == MonthDate(1)
    assert close.gates == (StrandsGate("consultation"),)
    # A timed transition may be fired by the scheduler as well as by the roles named.
    assert close.roles == ("report_author", "system")
    assert by_trigger["adopt_strategy"].documents == ("sign_off_record", "strategy_pack")
    assert by_trigger["adopt_strategy"].roles == ("report_author",)


def test_safer_mk_board(shipped: Definition) -> None:
    board = shipped.boards["safer_mk"]
    assert board.name == "Safer MK Partnership"
    assert board.quorum == 3
    assert board.voting == (
        "council_chief_executive", "ccg_chief_operating_officer", "police_area_commander",
        "fire_group_commander", "probation_manager", "crc_head_of_operations",
    )
    # The chair does not vote.
    assert board.chair == "cabinet_member"
    assert "cabinet_member" not in board.voting
    assert board.with_membership(Membership.CHAIR) == ("cabinet_member",)
    assert len(board.with_membership(Membership.ADVISOR)) == 5
    assert board.with_membership(Membership.OBSERVER) == (
        "observer_councillor_a", "observer_councillor_b", "police_crime_panel_representative",
        "safeguarding_scrutineer",
    )
    assert board.with_membership(Membership.OFFICER) == (
        "director_policy", "director_childrens_services", "head_of_partnerships", "head_of_youth_and_community",
        "committee_manager",
    )
    assert len(board.members) == 21
    assert all(person in shipped.people for person, _ in board.members)


def test_consultation_strands(shipped: Definition) -> None:
    strands = {s.id: s for s in shipped.stages["consultation"].strands}
    assert list(strands) == [
        "online_survey", "community_representatives", "parish_town_councils", "council_members", "young_people",
        "voluntary_sector", "domestic_abuse_partnership", "mk_together_members", "scrutiny_comments",
    ]
    titles = [s.title for s in strands.values()]
    for words in ("Survey (online)", "Independent Advisory Group (IAG)", "Parish and Town Councils",
                  "Members of the Council", "Young people", "Voluntary and community sector forums",
                  "Domestic Abuse Strategic Partnership", "Members of the MK Together Partnership",
                  "Scrutiny Committee comments"):
        assert sum(words in t for t in titles) == 1, words
    survey = strands["online_survey"]
    assert survey.lifecycle == "survey"
    assert survey.due == DayMonthDate(3, 1)
    assert survey.at == (("close", DayMonthDate(3, 1)),)
    assert strands["scrutiny_comments"].lifecycle == "scrutiny"
    assert strands["scrutiny_comments"].due == MilestoneDate("scrutiny_november", 0)
    assert {s.lifecycle for s in strands.values()} == {"survey", "engagement", "scrutiny"}
    # The survey closes on 3 January of the cycle's second calendar year.
    assert Timeline(shipped, 2021).resolve(survey.due) == dt.date(2022, 1, 3)


def test_lifecycles(shipped: Definition) -> None:
    survey = shipped.lifecycles["survey"]
    assert (survey.initial, survey.states, survey.finals) == ("preparing", ("preparing", "open", "closed"), ("closed",))
    assert [(t.trigger, t.sources, t.dest) for t in survey.transitions] == [
        ("launch", ("preparing",), "open"), ("close", ("open",), "closed"),
    ]
    assert shipped.strand_triggers() == {"launch", "close", "hold", "report", "record_comments"}


def test_meetings_dates_are_read(shipped: Definition) -> None:
    assert shipped.meetings["risk_board_august"].date == NthWeekdayDate(3, 3, 8)
    assert shipped.meetings["scrutiny_november"].date == NthWeekdayDate(-1, 1, 11)
    assert shipped.meetings["safer_mk_march"].board == "safer_mk"


def test_reminders_documents_and_permissions(shipped: Definition) -> None:
    board = shipped.reminders["board_decision"]
    assert board.before == (10, 3)
    assert board.overdue_every == 5
    assert [e.after_working_days for e in board.escalate] == [5, 10]
    assert shipped.reminders["papers_due"].on_due is False
    assert shipped.documents["strategy_pack"].notify == ("board_members:safer_mk", "board_members:mk_together")
    assert shipped.permissions == {
        "start": ("report_author",),
        "decide": ("committee_manager", "scrutiny_officer"),
        "attach": ("report_author", "consultation_lead", "committee_manager"),
    }


def test_definition_names_never_reach_transitions_as_strings(shipped: Definition) -> None:
    compiled = CompiledDefinition(shipped)
    machines = [compiled.cycle, *compiled.lifecycles.values()]
    assert len(machines) == 4
    seen = set()
    for compiled_machine in machines:
        machine = compiled_machine.machine
        for trigger, event in machine.events.items():
            for source, transitions in event.transitions.items():
                for t in transitions:
                    seen.add((trigger, source, t.dest))
                    assert t.conditions, (trigger, source)
                    for condition in t.conditions:
                        assert callable(condition.func) and not isinstance(condition.func, str)
                        assert condition.target is True
                    for callbacks in (t.before, t.after, t.prepare):
                        assert all(callable(cb) and not isinstance(cb, str) for cb in callbacks)
        for state in machine.states.values():
            assert not state.on_enter and not state.on_exit
        for callbacks in (machine.before_state_change, machine.after_state_change, machine.prepare_event,
                          machine.finalize_event, machine.on_exception):
            assert not callbacks
    expected = {(t.trigger, s, t.dest) for t in shipped.transitions for s in t.sources}
    expected |= {(t.trigger, s, t.dest) for lc in shipped.lifecycles.values() for t in lc.transitions for s in t.sources}
    assert seen == expected


def test_unquoted_yaml_date_is_a_fixed_date() -> None:
    definition = variant(SURVEY_DUE, "        due: 2022-01-03\n        at: {close: 2022-01-04}\n")
    survey = definition.stages["consultation"].strand("online_survey")
    assert survey is not None
    assert survey.due == FixedDate(2022, 1, 3)
    assert survey.at == (("close", FixedDate(2022, 1, 4)),)
    # A fixed date does not move with the cycle year.
    assert Timeline(definition, 2030).resolve(survey.due) == dt.date(2022, 1, 3)


def test_quoted_iso_date_is_a_fixed_date_too() -> None:
    definition = variant(SURVEY_DUE, "        due: '2022-01-03'\n        at: {close: 3 January}\n")
    survey = definition.stages["consultation"].strand("online_survey")
    assert survey is not None and survey.due == FixedDate(2022, 1, 3)


def test_working_day_offset_is_read_and_resolved() -> None:
    definition = variant("    owner: consultation_lead\n    due: January\n",
                         "    owner: consultation_lead\n    due: 10 working days before risk_board_february\n")
    assert definition.stages["consultation"].due == MilestoneDate("risk_board_february", -10)
    # Risk Board February 2022 is Thursday 10 February; ten working days earlier is Thursday 27 January.
    assert Timeline(definition, 2021).milestone("consultation") == dt.date(2022, 1, 27)


def test_checksum_follows_the_text() -> None:
    text = shipped_text()
    first = parse_definition(text, "a.yaml", templates_dir=TEMPLATES)
    again = parse_definition(text, "b.yaml", templates_dir=TEMPLATES)
    edited = parse_definition(text + "# a comment at the end\n", "a.yaml", templates_dir=TEMPLATES)
    assert first.checksum == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert again.checksum == first.checksum
    assert edited.checksum != first.checksum
    # Only the text changed, not the meaning: the definitions compare equal.
    assert edited == first
    assert load_definition(SHIPPED).checksum == first.checksum


def test_a_changed_definition_has_a_new_checksum_and_compares_different() -> None:
    changed = variant("name: Safer MK Partnership\n    quorum: 3\n", "name: Safer MK Partnership\n    quorum: 4\n")
    shipped = load_definition(SHIPPED)
    assert changed.boards["safer_mk"].quorum == 4
    assert changed.checksum != shipped.checksum
    assert changed != shipped
