"""A board meeting's minutes in the browser: the committee manager drafts them and writes a minute's narrative in
its textarea; a member of the board reads them without a form. Each page passes axe and is kept as a screenshot."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite

MINUTES = "/boards/mk_together/meetings/2021-07-13/minutes"  # the seeded decision on the early findings


def test_the_committee_manager_drafts_and_writes_the_minutes_and_a_member_reads_them(page: Page,
                                                                                       site: LiveSite) -> None:
    signed_in(page, site.people.committee_manager)
    page.goto(MINUTES)
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes of Tuesday 13 July 2021")
    page.get_by_role("button", name="Draft the minutes").click()
    expect(page.get_by_text("Minutes drafted: version 1")).to_be_visible()
    narrative = page.get_by_label("What was noted under 2")
    expect(narrative).to_have_value(
        "The MK Together Management Board considered Strategic assessment - early findings.")
    narrative.fill("The Board noted the early findings of the strategic assessment.")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.get_by_text("Minutes saved: version 2")).to_be_visible()
    expect(page.get_by_label("What was noted under 2")).to_have_value(
        "The Board noted the early findings of the strategic assessment.")
    looked_at(page, "minutes")

    page.context.clear_cookies()
    signed_in(page, site.people.other_board_member)  # MK Together's chair
    page.goto(MINUTES)
    expect(page.get_by_text("The Board noted the early findings of the strategic assessment.")).to_be_visible()
    expect(page.locator("textarea")).to_have_count(0)
    looked_at(page, "minutes-member")
