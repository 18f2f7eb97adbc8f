"""Signing in with a browser: the form, a refusal, and a session that the API honours."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.helpers import AUTHOR
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
    signed_in(page, site.people.officer)
    assert page.url == f"{site.url}/my-work"  # where "/" sends a signed-in person
    work = page.request.get("/api/v1/mywork")
    assert work.status == 200, work.text()
    items = work.json()["to_do"]
    assert items, "the officer has work in the started cycle"
    assert {(i["cycle"], i["person"]) for i in items} == {(site.cycle, AUTHOR)}
