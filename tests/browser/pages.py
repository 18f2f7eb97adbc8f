"""What a page test does with the browser: sign in through the form, keep a screenshot of what it sees."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.conftest import REPO
from tests.integration.web.conftest import PASSWORD

SCREENSHOTS = REPO / "docs" / "screenshots"


def signed_in(page: Page, email: str, password: str = PASSWORD) -> Page:
    """`page` signed in as `email` through the sign-in form, as a person would; returns it, on the page it lands on."""
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/auth/login" in page.url:
        alert = page.get_by_role("alert")
        said = alert.inner_text() if alert.count() else "nothing"
        raise AssertionError(f"{email} could not sign in: the sign-in page said {said!r}")
    return page


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of what the browser shows, kept as docs/screenshots/`name`.png; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
