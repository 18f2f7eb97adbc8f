"""The public site in the browser, on a phone (375 px) and without signing in: a resident goes from the sign-in
page's link to the boards, a board, its August meeting and a public report, which downloads; the exempt annex
beside it is named nowhere, nor the September item whose only paper is exempt, shown by its own title and paragraph. Each page passes axe and is kept as a screenshot."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at
from tests.browser.served import LiveSite
from tests.helpers import AUTHOR

PUBLIC_TITLE = "Strategic assessment 2021: the public report"
PUBLIC_TEXT = "What the partnership found in 2021, for everyone to read.\n"
ANNEX_TITLE = "Assessment annex: offenders under multi-agency management"
PLAN_TITLE = "Consultation plan: households visited after the March incident"


def test_a_resident_goes_from_the_boards_to_a_meeting_and_reads_a_public_report_on_a_phone(
        page: Page, site: LiveSite, tmp_path: Path) -> None:
    report, annex = tmp_path / "report.txt", tmp_path / "annex.txt"
    report.write_text(PUBLIC_TEXT, encoding="utf-8")
    annex.write_text("Names and addresses.\n", encoding="utf-8")
    site.app.engine.attach(site.cycle, "strategic_assessment", report, AUTHOR, title=PUBLIC_TITLE,
                           stage="assessment_sign_off")
    site.app.engine.attach(site.cycle, "strategic_assessment", annex, AUTHOR, title=ANNEX_TITLE, exempt=7,
                           stage="assessment_sign_off")
    plan = tmp_path / "plan.txt"
    plan.write_text("Addresses.\n", encoding="utf-8")
    site.app.engine.attach(site.cycle, "consultation_plan", plan, AUTHOR, title=PLAN_TITLE, exempt=1,
                           stage="priorities")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/auth/login")
    page.get_by_role("link", name="public pages").click()
    expect(page.get_by_role("heading", name="Boards and meetings")).to_be_visible()
    page.context.clear_cookies()  # the sign-in form's own; from here on, none is needed or set
    looked_at(page, "public-index")
    page.get_by_role("link", name="Risk Board", exact=True).click()
    expect(page.get_by_role("heading", name="Risk Board", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="meetings calendar of the Risk Board (iCalendar)")).to_be_visible()
    looked_at(page, "public-board")
    page.get_by_role("link", name="Risk Board (August)").click()
    expect(page.get_by_role("heading", name="Risk Board (August)")).to_be_visible()
    expect(page.get_by_text("Thursday 19 August 2021, 10:00 to 12:00")).to_be_visible()
    expect(page.get_by_text("An annex is not published: Schedule 12A, paragraph 7")).to_be_visible()
    expect(page.get_by_text(ANNEX_TITLE)).to_have_count(0)
    looked_at(page, "public-meeting")
    with page.expect_download() as download:
        page.get_by_role("link", name=PUBLIC_TITLE).click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == PUBLIC_TEXT
    # September's consultation plan is exempt, and the item's only paper: its own title and the paragraph alone.
    page.get_by_role("link", name="Risk Board", exact=True).click()
    page.get_by_role("link", name="Risk Board (September)").click()
    plan_item = page.locator(".govuk-summary-card").filter(has_text="Stakeholder consultation and engagement plan")
    expect(plan_item).to_contain_text("Private")
    expect(plan_item).to_contain_text("Schedule 12A, paragraph 1: Information relating to any individual")
    expect(page.get_by_text(PLAN_TITLE)).to_have_count(0)
    looked_at(page, "public-meeting-private-item")
    assert page.context.cookies() == [], "nothing of the public site needs a cookie"
