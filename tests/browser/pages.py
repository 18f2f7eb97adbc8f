"""What a page test does with the browser: sign in through the form, and look at a page as a person would, at a
phone's width and at a desk's, keeping a screenshot of each."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Cookie, Page

from tests.browser.accessibility import assert_accessible
from tests.conftest import REPO
from tests.integration.web.conftest import PASSWORD
from web.auth import SESSION_COOKIE

SCREENSHOTS = REPO / "docs" / "screenshots"
# A small phone (the iPhone SE / 13 mini class, the narrowest width in common use) and a desk's laptop.
WIDTHS = ((375, 812), (1280, 900))
KEPT: dict[str, Cookie] = {}
"""By email: the session cookie a sign-in through the form made, as the browser holds it."""

# The innermost elements that reach past the window's right edge, by their box or by content overflowing it (a
# long word, a line that must not wrap), each named by tag, id and classes. What is inside a box that scrolls on
# its own does not make the page scroll, so it is not counted.
WIDER_THAN_WINDOW = """() => {
  const width = window.innerWidth;
  const scrolls = document.documentElement.scrollWidth;
  if (scrolls <= width) return null;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const reach = (el) => {
    const box = el.getBoundingClientRect();
    return Math.max(box.right, box.left + el.scrollWidth);
  };
  const named = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].map((c) => '.' + c).join('');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (reach(el) <= width + 0.5 || clipped(el)) continue;
    if ([...el.children].some((child) => reach(child) > width + 0.5)) continue;
    found.push(named(el) + ' reaches ' + Math.round(reach(el)) + ' px');
  }
  return {scrolls, found: found.slice(0, 6)};
}"""


def signed_in(page: Page, email: str, password: str = PASSWORD, *, through_form: bool = False) -> Page:
    """`page` signed in as `email`; returns it, on the page signing in lands on (My work).

    The first time for `email` it signs in through the sign-in form, as a person would, and keeps the session's
    cookie; a later test's fresh browser profile is given that cookie, as a browser that stayed signed in would
    be, unless the session has ended since (the site then asks to sign in, and the form is used again). A test
    about signing in passes `through_form=True`; a password other than the test accounts' own always does.
    """
    kept = KEPT.get(email)
    if kept is not None and not through_form and password == PASSWORD:
        page.context.add_cookies([kept])  # type: ignore[list-item]
        page.goto("/")
        if "/auth/login" not in page.url:
            return page
        page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/auth/login" in page.url:
        alert = page.get_by_role("alert")
        said = alert.inner_text() if alert.count() else "nothing"
        raise AssertionError(f"{email} could not sign in: the sign-in page said {said!r}")
    if password == PASSWORD:
        KEPT[email] = next(c for c in page.context.cookies() if c.get("name") == SESSION_COOKIE)
    return page


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of what the browser shows, kept as docs/screenshots/`name`.png; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits(page: Page, name: str) -> None:
    """Fail, naming what sticks out, when the page is wider than the window (a person would scroll sideways)."""
    wider = page.evaluate(WIDER_THAN_WINDOW)
    if wider:
        width = page.evaluate("() => window.innerWidth")
        sticking = "; ".join(wider["found"]) or "nothing found outside a scrolling box"
        raise AssertionError(f"the {name} page is {wider['scrolls']} px wide in a {width} px window, so it scrolls "
                             f"sideways: {sticking}")


def looked_at(page: Page, name: str) -> None:
    """The page as it is now, at a phone's width and then at a desk's: no wider than the window, no serious
    accessibility fault (axe), kept as docs/screenshots/`name`-375.png and `name`-1280.png. The window is
    put back to the size it had, so the test goes on as before."""
    before = page.viewport_size
    try:
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            assert_fits(page, f"{name} at {width} px")
            assert_accessible(page, f"{name} at {width} px")
            screenshot(page, f"{name}-{width}")
    finally:
        if before:
            page.set_viewport_size(before)
