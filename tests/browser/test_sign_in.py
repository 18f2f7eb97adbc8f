"""Signing in with a browser: the form, a refusal, and a session that the API honours."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from playwright.sync_api import Page, expect

from tests.browser.pages import WIDTHS, looked_at, screenshot, signed_in
from tests.browser.served import LiveSite
from tests.helpers import AUTHOR
from tests.integration.workers import wait_until
from web.auth import SESSION_COOKIE


def test_the_sign_in_page_asks_for_an_email_address_and_password(page: Page, site: LiveSite) -> None:
    page.goto("/auth/login")
    expect(page).to_have_title(re.compile(r"^Sign in\b"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email address")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    looked_at(page, "sign-in")


def test_a_wrong_password_is_refused_with_a_sentence(page: Page, site: LiveSite) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(site.people.officer)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text("The email or password is not right.")
    looked_at(page, "sign-in-refused")
    assert "/auth/login" in page.url
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}


def test_the_officer_signs_in_and_the_session_shows_their_work(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.officer, through_form=True)
    assert page.url == f"{site.url}/my-work"  # where "/" sends a signed-in person
    work = page.request.get("/api/v1/mywork")
    assert work.status == 200, work.text()
    items = work.json()  # the list of to-do items, as it always was
    assert items, "the officer has work in the started cycle"
    assert {(i["cycle"], i["person"]) for i in items} == {(site.cycle, AUTHOR)}


def _received(site: LiveSite, to: str, subject: str) -> EmailMessage | None:
    """The email the workers wrote to the outbox (no SMTP server is configured) for `to`, if it is there yet."""
    outbox = site.app.settings.outbox_dir
    for path in sorted(outbox.glob("*.eml")) if outbox.is_dir() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"].addresses[0].addr_spec == to and str(message["Subject"]).startswith(subject):
            return message
    return None


def test_a_signed_out_person_following_an_email_link_lands_on_it_after_signing_in(page: Page, site: LiveSite) -> None:
    officer = site.people.officer
    wait_until(lambda: _received(site, officer, "Sign-off record") is not None,
               "the workers' email sending the officer the early findings' sign-off record", 120)
    message = _received(site, officer, "Sign-off record")
    assert message is not None
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    page.set_content(body.get_content())  # the email as the officer's mail client shows it
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"email-sign-off-record-{width}")
    link = page.get_by_role("link", name="Documents page")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{site.url}/cycles/{site.cycle}/documents#document-"), href
    expect(page.get_by_role("link", name="My work")).to_have_attribute("href", f"{site.url}/my-work")

    with page.expect_navigation(url=re.compile(r"/auth/login\?next=")):
        link.click()  # not signed in: the sign-in page first
    page.get_by_label("Email address").fill(officer)
    page.get_by_label("Password").fill(site.password)
    with page.expect_navigation(url=re.compile(r"/documents$")):
        page.get_by_role("button", name="Sign in").click()
    assert page.url == href.split("#")[0], "signed in, the officer lands on the page the email linked"
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    expect(page.locator(f"#{href.split('#')[1]}")).to_contain_text("Early findings discussed")
