"""My work and Operations in a browser: what a person must do now, and what an admin watches."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite


def test_the_officer_sees_their_work_with_the_control_that_does_it(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.officer)
    page.goto("/my-work")
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    # Other browser tests move the shared cycle on, so whichever item is first, it comes with its control.
    first = page.get_by_role("table").locator("tbody tr").first
    expect(first).to_contain_text("Community Safety Strategy, 2021 to 2022")
    expect(first.locator(".govuk-button").first).to_be_visible()
    navigation = page.get_by_role("navigation", name="Menu")
    expect(navigation.get_by_role("link", name="My work")).to_have_attribute("aria-current", "page")
    expect(navigation.get_by_role("link", name="Operations")).to_have_count(0)  # not an admin
    looked_at(page, "my-work")


def test_an_admin_sees_the_worker_reporting_and_what_waits(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.admin)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations")
    processes = page.locator("#processes + table")
    expect(processes).to_contain_text("Worker")
    expect(processes).to_contain_text("Reporting")
    looked_at(page, "operations")


def test_a_board_member_cannot_open_operations(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.risk_board_member)
    response = page.goto("/operations")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    expect(page.get_by_role("main")).to_contain_text("is not an admin")
