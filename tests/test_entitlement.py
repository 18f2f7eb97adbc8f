"""The one rule for exempt information, on the shipped definition's boards."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import DEFINITIONS, SHIPPED
from workflow.definition.entitlement import (
    entitled_people,
    is_addressee,
    is_officer,
    may_see_document,
    may_see_mail,
    may_see_paper,
    visible_papers,
)
from workflow.definition.loader import load_definition

DEFINITION = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")


@dataclass(frozen=True)
class P:
    exempt: bool
    stage: str | None


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
