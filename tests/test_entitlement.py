"""The one rule for exempt information, on the shipped definition's boards."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tests.conftest import DEFINITIONS, SHIPPED
from workflow.definition.entitlement import (
    considering_stages,
    entitled_people,
    is_addressee,
    is_officer,
    may_see_document,
    may_see_mail,
    may_see_paper,
    may_see_paper_at,
    paper_readers,
    private_business,
    visible_papers,
)
from workflow.definition.loader import load_definition

DEFINITION = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")


@dataclass(frozen=True)
class P:
    exempt: bool
    stage: str | None
    paper: str = "a_paper_no_stage_names"


@dataclass(frozen=True)
class D:
    version: str
    stage: str


@dataclass(frozen=True)
class M:
    recipient: str


def test_an_exempt_paper_is_for_its_boards_private_session_and_the_stage_owner() -> None:
    safer_mk = entitled_people(DEFINITION, "assessment_presented")
    assert {"council_chief_executive", "cabinet_member", "committee_manager"} <= safer_mk  # voting, chair, officer
    assert "head_of_partnerships" in safer_mk  # holds report_author, the stage's owner role
    assert not {"safeguarding_scrutineer", "observer_councillor_a"} & safer_mk  # observers
    assert not {"vcse_representative", "rural_parish_representative"} & safer_mk  # advisors
    assert entitled_people(DEFINITION, "assessment_sign_off") == {
        "police_area_commander", "head_of_partnerships", "fire_group_commander", "probation_manager",
        "deputy_director_public_health", "head_of_youth_and_community", "community_safety_manager",
        "committee_manager"}
    # The consultation has no board: only its owners (consultation leads) may see its exempt papers.
    assert entitled_people(DEFINITION, "consultation") == {"head_of_partnerships", "community_safety_manager"}


def test_entitlement_is_per_paper_not_per_role() -> None:
    risk, mk = P(True, "assessment_sign_off"), P(True, "early_findings")
    assert may_see_paper(DEFINITION, risk, "fire_group_commander")
    assert not may_see_paper(DEFINITION, mk, "fire_group_commander"), "Risk Board only, not MK Together"
    assert not may_see_paper(DEFINITION, risk, "council_chief_executive"), "MK Together chair, not on the Risk Board"
    assert is_officer(DEFINITION, "scrutiny_officer") and not may_see_paper(DEFINITION, risk, "scrutiny_officer")
    assert not may_see_paper(DEFINITION, risk, None) and may_see_paper(DEFINITION, P(False, "x"), None)
    assert not may_see_paper(DEFINITION, P(True, None), "committee_manager"), "an unknown stage entitles nobody"
    assert not may_see_paper(DEFINITION, risk, "nobody")
    papers = [P(False, "early_findings"), risk, mk]
    assert visible_papers(DEFINITION, papers, "fire_group_commander") == papers[:2]


def test_documents_and_mail_follow_the_papers_they_carry() -> None:
    exempt = D("exempt", "assessment_sign_off")
    assert may_see_document(DEFINITION, D("public", "assessment_sign_off"), None)
    assert may_see_document(DEFINITION, exempt, "probation_manager")
    assert not may_see_document(DEFINITION, exempt, "safeguarding_scrutineer")
    annex = P(True, "assessment_sign_off")
    mail = M("probation@example.org")
    assert may_see_mail(DEFINITION, mail, "probation_manager", papers=[annex])
    assert may_see_mail(DEFINITION, mail, "committee_manager", papers=[annex])
    assert not may_see_mail(DEFINITION, mail, "scrutiny_officer", papers=[annex])
    assert not may_see_mail(DEFINITION, mail, None, documents=[exempt])
    assert may_see_mail(DEFINITION, mail, None, papers=[P(False, "x")])


def test_an_email_is_its_addressees_by_address_and_readable_only_by_todays_entitlement() -> None:
    sent_to_scrutiny = M("Scrutiny@Example.org ")
    assert is_addressee(DEFINITION, sent_to_scrutiny, "scrutiny_officer")
    assert not is_addressee(DEFINITION, sent_to_scrutiny, "probation_manager")
    assert not is_addressee(DEFINITION, sent_to_scrutiny, None)
    # Its addressee, not entitled to the exempt paper it carries (today), does not read it.
    assert not may_see_mail(DEFINITION, sent_to_scrutiny, "scrutiny_officer",
                            papers=[P(True, "assessment_sign_off")])


def test_a_safer_mk_member_sees_the_strategic_assessment_for_the_september_meeting() -> None:
    # Attached for the Risk Board's sign-off in August; Safer MK decides on it in September.
    assessment = P(True, "assessment_sign_off", "strategic_assessment")
    assert considering_stages(DEFINITION, "strategic_assessment", "assessment_sign_off") == (
        "assessment_sign_off", "assessment_presented")
    assert may_see_paper(DEFINITION, assessment, "crc_head_of_operations"), "voting on Safer MK only"
    assert may_see_paper(DEFINITION, assessment, "director_childrens_services"), "an officer of Safer MK"
    assert may_see_paper(DEFINITION, assessment, "cabinet_member"), "Safer MK's non-voting chair"
    # The same paper id attached for MK Together's July meeting goes on to both later boards.
    assert considering_stages(DEFINITION, "strategic_assessment", "early_findings") == (
        "early_findings", "assessment_sign_off", "assessment_presented")


def test_an_exempt_paper_reaches_only_the_entitled_members_of_each_board_deciding_on_it() -> None:
    assessment = P(True, "assessment_sign_off", "strategic_assessment")
    risk, safer_mk = entitled_people(DEFINITION, "assessment_sign_off"), entitled_people(DEFINITION,
                                                                                           "assessment_presented")
    assert paper_readers(DEFINITION, assessment) == risk | safer_mk
    # Each board's own rule: Safer MK's advisors and observers sit in public session only.
    for person in ("rural_parish_representative", "pcc_policy_adviser", "observer_councillor_a",
                   "safeguarding_scrutineer"):
        assert not may_see_paper(DEFINITION, assessment, person), person
    assert may_see_paper(DEFINITION, assessment, "deputy_director_public_health"), "voting on the Risk Board"
    # ... and so sees it as the Risk Board's business, not as Safer MK's, where they advise in public session.
    assert may_see_paper_at(DEFINITION, assessment, "assessment_sign_off", "deputy_director_public_health")
    assert not may_see_paper_at(DEFINITION, assessment, "assessment_presented", "deputy_director_public_health")
    assert may_see_paper_at(DEFINITION, assessment, "assessment_presented", "crc_head_of_operations")
    assert not may_see_paper_at(DEFINITION, assessment, "priorities", "police_area_commander"), "not named there"
    assert may_see_paper_at(DEFINITION, P(False, "assessment_sign_off", "strategic_assessment"), "assessment_presented",
                            "rural_parish_representative"), "a public paper: every member of each deciding board"
    # The recommended priorities attached for Safer MK are also what the Risk Board agrees in September.
    priorities = P(True, "assessment_presented", "recommended_priorities")
    assert paper_readers(DEFINITION, priorities) == safer_mk | entitled_people(DEFINITION, "priorities")
    assert may_see_paper(DEFINITION, priorities, "community_safety_manager"), "the Risk Board's officer"
    assert may_see_paper(DEFINITION, P(False, "assessment_sign_off", "strategic_assessment"), None), "public"
    assert not may_see_paper(DEFINITION, assessment, None), "never the public"


def test_a_board_that_does_not_decide_on_an_exempt_paper_never_sees_it() -> None:
    early = P(True, "early_findings", "early_findings")  # MK Together's July business alone
    assert considering_stages(DEFINITION, "early_findings", "early_findings") == ("early_findings",)
    assert paper_readers(DEFINITION, early) == entitled_people(DEFINITION, "early_findings")
    assert not may_see_paper(DEFINITION, early, "fire_group_commander"), "Risk Board and Safer MK, not MK Together"
    assessment = P(True, "assessment_sign_off", "strategic_assessment")
    scrutiny = {p for p, _ in DEFINITION.boards["scrutiny_committee"].members}
    assert not scrutiny & paper_readers(DEFINITION, assessment), "the scrutiny committee does not decide on it"
    # Only later stages: a paper attached for the Risk Board's September priorities is not Safer MK's, though
    # Safer MK decided on a paper of that id earlier in the cycle.
    late = P(True, "priorities", "strategic_assessment")
    assert considering_stages(DEFINITION, "strategic_assessment", "priorities") == ("priorities",)
    assert not may_see_paper(DEFINITION, late, "crc_head_of_operations")
    # A stage the definition does not know is considered nowhere: its exempt paper entitles nobody.
    assert considering_stages(DEFINITION, "strategic_assessment", "no_such_stage") == ()
    assert paper_readers(DEFINITION, P(True, "no_such_stage", "strategic_assessment")) == set()


def test_mk_together_and_safer_mk_members_see_the_final_draft_for_february_and_march() -> None:
    # Attached for the Risk Board's sign-off in February; MK Together agrees it later in February and Safer MK
    # adopts the strategy in March: both steps name it, so both boards are sent it for their meetings.
    final_draft = P(True, "final_draft_sign_off", "final_draft_strategy")
    assert considering_stages(DEFINITION, "final_draft_strategy", "final_draft_sign_off") == (
        "final_draft_sign_off", "final_draft_agreed", "adoption")
    assert (DEFINITION.stages["final_draft_agreed"].board, DEFINITION.stages["adoption"].board) == (
        "mk_together", "safer_mk")
    # On MK Together only (an officer of Safer MK, not on the Risk Board): as MK Together's February business.
    assert may_see_paper_at(DEFINITION, final_draft, "final_draft_agreed", "director_policy")
    assert not may_see_paper_at(DEFINITION, final_draft, "final_draft_sign_off", "director_policy")
    # Voting on Safer MK only: as Safer MK's March business, not as MK Together's.
    assert may_see_paper_at(DEFINITION, final_draft, "adoption", "crc_head_of_operations")
    assert not may_see_paper_at(DEFINITION, final_draft, "final_draft_agreed", "crc_head_of_operations")
    assert paper_readers(DEFINITION, final_draft) == (entitled_people(DEFINITION, "final_draft_sign_off")
                                                      | entitled_people(DEFINITION, "final_draft_agreed")
                                                      | entitled_people(DEFINITION, "adoption"))
    # Safer MK's advisors and observers read the public final draft at the March meeting, not an exempt one.
    assert not may_see_paper(DEFINITION, final_draft, "vcse_representative")
    assert may_see_paper_at(DEFINITION, P(False, "final_draft_sign_off", "final_draft_strategy"), "adoption",
                            "vcse_representative")
    # The scrutiny committee commented in November and decides nothing on it.
    assert not {p for p, _ in DEFINITION.boards["scrutiny_committee"].members} & paper_readers(DEFINITION, final_draft)


def test_the_stages_considering_a_paper_are_kept_per_definition_and_a_changed_definition_is_asked_afresh() -> None:
    # Kept answers must not outlive the definition they were worked out from: a definition whose later
    # stage no longer names the paper (as `dataclasses.replace` or a new version makes it) says so at once.
    asked = considering_stages(DEFINITION, "strategic_assessment", "assessment_sign_off")
    assert considering_stages(DEFINITION, "strategic_assessment", "assessment_sign_off") is asked
    later = [t for t in DEFINITION.transitions if "assessment_presented" in t.sources]
    unnamed = replace(DEFINITION, transitions=tuple(
        replace(t, gates=()) if t in later else t for t in DEFINITION.transitions))
    assert considering_stages(unnamed, "strategic_assessment", "assessment_sign_off") == ("assessment_sign_off",)
    assert considering_stages(DEFINITION, "strategic_assessment", "assessment_sign_off") == asked


def test_an_item_is_private_business_only_when_every_paper_its_stage_considers_is_exempt() -> None:
    annex = P(True, "assessment_sign_off", "strategic_assessment")
    public = P(False, "assessment_sign_off", "strategic_assessment")
    assert private_business(DEFINITION, [annex], "assessment_sign_off")
    assert private_business(DEFINITION, [annex], "assessment_presented"), "Safer MK decides on the same paper"
    assert not private_business(DEFINITION, [public, annex], "assessment_sign_off"), "debated in public too"
    assert not private_business(DEFINITION, [], "assessment_sign_off"), "no papers: nothing to keep private"
    other = P(True, "early_findings", "early_findings")
    assert not private_business(DEFINITION, [other], "assessment_sign_off"), "another stage's paper is not its"
