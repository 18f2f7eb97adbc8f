"""The register of a case process in the browser: a board member sees every open case and how late each is; an
observer sees the cases in public business and only how many others there are, and how late."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.instances_setup import CASES
from web.accounts import Accounts
from web.config import WebSettings

# People of this test's own case process only, so the strategy's tests never see its cases.
EMAILS = {"officer@example.org": "case-officer@example.org", "member@example.org": "case-member@example.org",
          "observer@example.org": "case-observer@example.org"}


def case_process(site: LiveSite) -> None:
    text = CASES.read_text(encoding="utf-8").replace("id: cases", "id: browser_cases").replace("TST-", "BRW-")
    for theirs, ours in EMAILS.items():
        text = text.replace(theirs, ours)
    (site.app.engine.catalog.directory / "browser_cases.yaml").write_text(text, encoding="utf-8")
    accounts = Accounts(site.app.engine, WebSettings(secure_cookies=False, password_cost="test"))
    for email in EMAILS.values():
        if not any(a.email == email for a in accounts.all()):
            accounts.add(email, password=site.password, admin=False, by="test")


def test_the_register_shows_open_cases_and_only_counts_exempt_ones_for_an_observer(
        page: Page, site: LiveSite, tmp_path: Path) -> None:
    case_process(site)
    engine = site.app.engine
    public = engine.start("browser_cases", 2024, "officer_a").cycle  # a year no other browser test uses
    private = engine.start("browser_cases", 2024, "officer_a").cycle
    engine.fire(private, "decide_review", "officer_a")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%named family members\n")
    engine.attach(private, "review_report", report, "officer_a", exempt=2)

    signed_in(page, "case-member@example.org")
    page.get_by_role("link", name="Cycles").click()
    page.get_by_role("link", name="Case review register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Case review")
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=public)).to_be_visible()
    expect(table.get_by_role("link", name=private)).to_be_visible()
    expect(table).to_contain_text("Report to the board")
    looked_at(page, "register")

    page.context.clear_cookies()
    signed_in(page, "case-observer@example.org")
    page.goto("/register/browser_cases")
    expect(page.get_by_role("table").get_by_role("link", name=public)).to_be_visible()
    expect(page.get_by_text(private)).to_have_count(0)
    expect(page.locator("#withheld")).to_contain_text("1 more is at a stage whose papers are exempt (Schedule 12A)")
    looked_at(page, "register-withheld")
