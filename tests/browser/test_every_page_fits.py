"""Every page at a phone's width (375 px) and a desk's (1280 px): none is wider than the window, each passes axe,
and each is kept as a pair of screenshots. Most pages are looked at by the test that uses them (`looked_at`);
this module looks at the rest, and fails when a page is added that no browser test looks at."""

from __future__ import annotations

from fastapi.routing import APIRoute
from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from web import auth
from web.pages.site import ROUTERS

# Each page's address (as routed) and the screenshot that shows it, from whichever browser test looks at it.
LOOKED_AT = {
    "/auth/login": "sign-in",
    "/auth/set-password": "set-password",
    "/my-work": "my-work",
    "/my-boards": "my-boards",
    "/operations": "operations",
    "/accounts": "accounts",
    "/accounts/disable": "disable-account",
    "/tokens": "api-tokens",
    "/cycles": "cycles",
    "/cycles/start": "start-cycle",
    "/cycles/{cycle}": "cycle",
    "/cycles/{cycle}/history": "history",
    "/cycles/{cycle}/papers": "papers",
    "/cycles/{cycle}/papers/new": "attach-paper",
    "/cycles/{cycle}/decisions": "decisions",
    "/cycles/{cycle}/decisions/new": "record-decision",
    "/cycles/{cycle}/decisions/{decision}/rescind": "rescind-decision",
    "/cycles/{cycle}/documents": "documents",
    "/cycles/{cycle}/mail": "mail",
    "/cycles/{cycle}/meetings": "meetings",
    "/cycles/{cycle}/meetings/{meeting}": "meeting-change",
    "/cycles/{cycle}/migrate": "migrate",
    "/cycles/{cycle}/fields": "case-details",
    "/cycles/{cycle}/contacts": "contacts",
    "/cycles/{cycle}/contacts/{contact_id}": "contact-change",
    "/cycles/{cycle}/letters": "letters",
    "/cycles/{cycle}/panels/{panel}": "panel-choose",
    "/definitions": "definitions",
    "/definitions/upload": "definition-upload",
    "/definitions/{definition}": "definition",
    "/definitions/{definition}/reminders": "reminders-preview",
    "/definitions/{stem}/errors": "definition-errors",  # the same page as a refused upload shows
    "/register/{definition}": "register",
    "/public": "public-index",
    "/public/boards/{board_id}": "public-board",
    "/public/boards/{board_id}/meetings/{key}": "public-meeting",
    "/boards/{board}/meetings/{day}/minutes": "minutes",
    "/boards/{board}/meetings/{day}/agenda": "agenda",
}
# Files, not pages: a letter for post, a paper, a sign-off record, a calendar feed, minutes as a PDF; the public
# site's document and feeds.
DOWNLOADS = {"/cycles/{cycle}/letters/{letter_id}/pdf", "/papers/{paper_id}", "/documents/{document_id}/{fmt}",
             "/calendar/{token}.ics", "/boards/{board}/meetings/{day}/minutes.pdf",
             "/public/documents/{ref}", "/public/boards/{board_id}/meetings.ics",
             "/public/boards/{board_id}/documents.atom"}


def test_every_page_is_looked_at_by_a_browser_test() -> None:
    routed = {route.path for router in [*ROUTERS, auth.router] for route in router.routes
              if isinstance(route, APIRoute) and "GET" in (route.methods or ())}
    unseen = sorted(routed - DOWNLOADS - set(LOOKED_AT))
    assert not unseen, (f"no browser test looks at {', '.join(unseen)} at both widths: call looked_at(page, name) "
                        "on it in a browser test and add it to LOOKED_AT")


def test_the_forms_not_used_elsewhere_fit_a_phone_and_a_desk(page: Page, site: LiveSite) -> None:
    page.goto("/auth/set-password?token=not-a-real-one")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    looked_at(page, "set-password")

    signed_in(page, site.people.officer)  # who may start a cycle of the strategy
    page.goto("/cycles/start")
    expect(page.get_by_role("button", name="Start the cycle")).to_be_visible()
    looked_at(page, "start-cycle")

    page.context.clear_cookies()
    signed_in(page, site.people.admin)
    page.goto("/definitions/upload")
    expect(page.get_by_label("Definition file")).to_be_visible()
    looked_at(page, "definition-upload")

    page.context.clear_cookies()
    signed_in(page, site.people.committee_manager)
    first = site.app.engine.status(site.cycle).decisions[0]["id"]  # the seed's decision of MK Together
    page.goto(f"/cycles/{site.cycle}/decisions/{first}/rescind")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rescind")
    looked_at(page, "rescind-decision")


def test_the_error_pages_fit_a_phone_and_a_desk(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.risk_board_member)
    page.goto("/cycles/no_such_cycle_2021")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    looked_at(page, "not-found")
    page.goto("/operations")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    looked_at(page, "not-allowed")
