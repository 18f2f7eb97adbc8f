"""A board meeting's agenda in the browser: the committee manager reads the Risk Board's August agenda, laid out as
the seed pack's front sheet and numbered items, with the controls to change and issue it. It fits a phone and a
desk and passes axe; kept as a screenshot."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite

AGENDA = "/boards/risk_board/meetings/2021-08-19/agenda"


def test_the_committee_manager_reads_the_agenda_with_its_controls(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.committee_manager)
    page.goto("/my-boards")
    page.get_by_role("link", name="Agenda of the Risk Board (August)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda: Risk Board (August)")
    expect(page.get_by_text("Issue by Wednesday 11 August 2021")).to_be_visible()
    expect(page.get_by_role("heading", name="1. Welcome, Introductions and Apologies")).to_be_visible()
    expect(page.get_by_role("button", name="Issue the agenda")).to_be_visible()
    assert page.url.endswith(AGENDA)
    looked_at(page, "agenda")
