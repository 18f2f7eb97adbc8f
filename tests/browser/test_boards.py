"""Boards in the browser: a committee manager records a decision with apologies and a declaration of interest,
checked in the preview before saving; a board member sees their board's papers on My boards, the exempt papers
of another board only where their own board decides on them later. Each page passes axe and is kept as a screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.accessibility import assert_accessible
from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.conftest import SHIPPED
from tests.helpers import AUTHOR, meet, paper_file
from web.pages.words import person_title

EXEMPT_TITLE = "Strategic assessment: named offenders under multi-agency management"
RISK_BOARD_ONLY = "Consultation plan: residents who asked not to be named"


def title(site: LiveSite, person: str) -> str:
    return person_title(site.app.engine.catalog.load(SHIPPED), person)


@contextmanager
def meeting_day(site: LiveSite, board: str, item: str) -> Iterator[None]:
    """The site's clock on the day `board` meets on `item` (a decision is recorded for a meeting held), then back
    to where it was, so the other tests on the shared site see the cycle as they expect."""
    clock = site.app.engine.clock
    was = clock.now()
    meet(site.app, board, item)
    try:
        yield
    finally:
        clock.set(was)  # type: ignore[attr-defined]


@pytest.fixture
def risk_board_meets(site: LiveSite) -> Iterator[None]:
    """The Risk Board's August meeting."""
    with meeting_day(site, "risk_board", "strategic_assessment"):
        yield


@pytest.fixture
def risk_board_agrees_priorities(site: LiveSite) -> Iterator[None]:
    """The Risk Board's September meeting, at which it agrees the priorities."""
    with meeting_day(site, "risk_board", "priorities"):
        yield


@pytest.mark.usefixtures("risk_board_meets")
def test_a_committee_manager_records_a_decision_with_apologies_and_an_interest(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.committee_manager)
    page.goto(f"/cycles/{site.cycle}/decisions/new?board=risk_board&item=strategic_assessment")
    expect(page.get_by_role("heading", name="Record a decision")).to_be_visible()
    expect(page.locator("#meeting-date-day")).to_have_value("19")  # the Risk Board's August meeting
    expect(page.locator("#meeting-date-month")).to_have_value("8")
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)  # nobody is assumed present
    apologies = title(site, "fire_group_commander")
    page.get_by_role("group", name=f"Attendance of {apologies}").get_by_label("Apologies").check()
    page.get_by_role("button", name="All voting members present").click()
    expect(page.get_by_role("group", name=f"Attendance of {title(site, 'probation_manager')}").get_by_label(
        "Present")).to_be_checked()
    expect(page.get_by_role("group", name=f"Attendance of {apologies}").get_by_label("Apologies")).to_be_checked()
    page.get_by_role("button", name="All present voted for").click()
    for person in ("police_area_commander", "head_of_partnerships", "probation_manager",
                   "deputy_director_public_health", "head_of_youth_and_community"):
        expect(page.get_by_role("group", name=f"Vote of {title(site, person)}").get_by_label("For")).to_be_checked()
    for officer in ("community_safety_manager", "committee_manager"):  # not voting: their attendance is asked
        page.get_by_role("group", name=f"Attendance of {title(site, officer)}").get_by_label("Present").check()
    interested = title(site, "probation_manager")
    page.get_by_text("Declarations of interest").click()
    page.get_by_label(f"Declaration of interest (if any) by {interested}").fill(
        "Manages two of the offenders named in the assessment")
    page.get_by_label("Resolution").fill("That the Annual Strategic Assessment be signed off.")
    looked_at(page, "record-decision")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check the decision before saving it")).to_be_visible()
    expect(page.locator("#outcome")).to_contain_text("Carried")
    expect(page.locator("#outcome")).to_contain_text("5 for, 0 against, 0 abstaining; quorum 3")
    expect(page.get_by_role("row", name=apologies)).to_contain_text("Apologies")
    expect(page.get_by_role("row", name=interested)).to_contain_text("Manages two of the offenders")
    looked_at(page, "decision-preview")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("heading", name="Decisions")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("recorded: the Risk Board carried 'Annual Strategic Assessment'")
    expect(page.get_by_role("table")).to_contain_text("That the Annual Strategic Assessment be signed off.")
    expect(page.get_by_role("table")).to_contain_text("Thursday 19 August 2021")
    looked_at(page, "decisions")
    page.goto(f"/cycles/{site.cycle}/decisions/new?board=risk_board&item=strategic_assessment")
    page.get_by_role("button", name="Continue").click()  # nothing answered: every problem listed at once
    summary = page.get_by_role("alert")
    for member in site.app.engine.catalog.load(SHIPPED).boards["risk_board"].members:
        expect(summary.get_by_role("link", name=f"Say whether {title(site, member[0])} was present")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the resolution as the minutes will record it.")).to_be_visible()
    looked_at(page, "record-decision-problems")
    page.get_by_role("button", name="All voting members present").click()
    for officer in ("community_safety_manager", "committee_manager"):
        page.get_by_role("group", name=f"Attendance of {title(site, officer)}").get_by_label("Absent").check()
    page.get_by_role("button", name="All present voted for").click()
    page.get_by_label("Resolution").fill("That the Annual Strategic Assessment be not signed off.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Risk Board already has decision 2 (carried)")
    expect(page.locator("#meeting-date-error")).to_contain_text("record an amendment")
    expect(page.get_by_label("Resolution")).to_have_value("That the Annual Strategic Assessment be not signed off.")
    looked_at(page, "decision-refused")
    recorded = [d for d in site.app.engine.status(site.cycle).decisions if d["board"] == "risk_board"]
    assert [(d["outcome"], d["for"]) for d in recorded] == [("carried", 5)], "the refused one was not written"


@pytest.mark.usefixtures("risk_board_agrees_priorities")
def test_the_risk_board_agrees_its_priorities_on_the_form_and_safer_mks_form_stays_short(
        page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.committee_manager)
    page.goto(f"/cycles/{site.cycle}/decisions/new?board=risk_board&item=priorities")
    expect(page.get_by_text("Priorities for the Community Safety Strategy")).to_be_visible()
    page.get_by_role("button", name="All voting members present").click()
    page.get_by_role("button", name="All present voted for").click()
    for officer in ("community_safety_manager", "committee_manager"):
        page.get_by_role("group", name=f"Attendance of {title(site, officer)}").get_by_label("Present").check()
    page.get_by_label("Priorities agreed").fill("Anti-social behaviour: remain a priority\nCyber crime: new priority\n"
                                                "Hate crime: further work")
    page.get_by_label("Resolution").fill("That the priorities recommended by the strategic assessment be agreed.")
    looked_at(page, "record-decision-priorities")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#priorities")).to_contain_text("Cyber crime: new priority")
    expect(page.locator("#outcome")).to_contain_text("6 for, 0 against, 0 abstaining")
    looked_at(page, "decision-preview-priorities")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("alert")).to_contain_text("the Risk Board carried 'Priorities for the Community Safety")
    row = page.get_by_role("row").filter(has_text="That the priorities recommended")
    expect(row).to_contain_text("Hate crime: further work")
    recorded = [d for d in site.app.engine.status(site.cycle).decisions if d["item"] == "priorities"]
    assert recorded[-1]["priorities"][1] == {"title": "Cyber crime", "recommendation": "new priority"}

    # Safer MK, the biggest board (21 members, 6 of them voting): one row each, a page of reasonable length.
    page.goto(f"/cycles/{site.cycle}/decisions/new?board=safer_mk&item=strategic_assessment")
    page.get_by_role("button", name="All voting members present").click()
    observer = title(site, "observer_councillor_a")
    expect(page.get_by_role("group", name=f"Attendance of {observer}").get_by_label("Present")).not_to_be_checked()
    expect(page.get_by_role("group", name=f"Vote of {observer}")).to_have_count(0)  # observers never vote
    looked_at(page, "record-decision-safer-mk")
    heights = {}
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        heights[width] = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": 900})
    print(f"Safer MK's decision form is {heights[1280]} px tall at 1280 px wide, {heights[375]} px at 375 px")
    assert heights[1280] < 3000, f"Safer MK's decision form is {heights[1280]} px tall at 1280 px wide"


def test_a_board_member_sees_their_boards_papers_and_not_another_boards_exempt_paper(
        page: Page, site: LiveSite, tmp_path: Path) -> None:
    site.app.engine.attach(site.cycle, "strategic_assessment", paper_file(tmp_path, "assessment"), AUTHOR,
                           exempt=3, title=EXEMPT_TITLE)  # for the Risk Board, exempt; Safer MK decides on it later
    site.app.engine.attach(site.cycle, "consultation_plan", paper_file(tmp_path, "plan"), AUTHOR,
                           exempt=1, title=RISK_BOARD_ONLY)  # the Risk Board's business alone
    signed_in(page, site.people.other_board_member)  # MK Together and Safer MK, not the Risk Board
    page.get_by_role("link", name="My boards").click()
    expect(page.get_by_role("heading", name="MK Together Management Board", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Strategic assessment - early findings")).to_be_visible()
    september = page.locator(".govuk-summary-card").filter(has_text="Safer MK Partnership (September)")
    expect(september.get_by_role("link", name=EXEMPT_TITLE)).to_be_visible()
    expect(page.get_by_text(RISK_BOARD_ONLY)).to_have_count(0)
    assert_accessible(page, "my boards")
    page.context.clear_cookies()
    signed_in(page, site.people.risk_board_member)
    page.goto("/my-boards")
    expect(page.get_by_role("heading", name="Risk Board", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=EXEMPT_TITLE).first).to_be_visible()
    expect(page.get_by_role("link", name=RISK_BOARD_ONLY).first).to_be_visible()
    expect(page.get_by_text("Meeting Room 4, Civic Offices").first).to_be_visible()
    page.get_by_role("button", name="Create my calendar feed").click()
    expect(page.locator("#feed-url")).to_contain_text("/calendar/cal_")
    looked_at(page, "my-boards")
