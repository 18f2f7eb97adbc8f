"""Case details in Debian's chromium: a case's clerk corrects its data on the Case details page, every problem
shown beside its field at once, then saves; the panel's observer sees the personal values withheld."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from web.accounts import Accounts
from web.config import WebSettings
from workflow.store.models import Mail

DATA = Path(__file__).resolve().parent.parent / "data"
CASE = "case_review"
YEAR = 2031  # a year no other browser test uses


@pytest.fixture
def case(site: LiveSite) -> Iterator[str]:
    """The case review added to the site's definitions folder for this test (and taken out after it), started."""
    folder = site.app.settings.definitions_dir
    added = [folder / f"{CASE}.yaml", *(folder / "templates" / p.name for p in (DATA / "templates").iterdir())]
    shutil.copy(DATA / f"{CASE}.yaml", added[0])
    for path in (DATA / "templates").iterdir():
        shutil.copy(path, folder / "templates" / path.name)
    try:
        engine = site.app.engine
        accounts = Accounts(engine, WebSettings(secure_cookies=False, password_cost="test"))
        for email in ("clerk@example.org", "observer@example.org"):
            accounts.add(email, password=site.password, admin=False, by="test")
        yield engine.start(CASE, YEAR, "officer_a", fields={"subject_name": "Alex Example",
                                                            "date_of_death": "2031-03-14"}).cycle
    finally:
        for path in added:
            path.unlink(missing_ok=True)


def test_the_clerk_corrects_the_case_details_and_the_observer_sees_personal_data_withheld(
        page: Page, site: LiveSite, case: str) -> None:
    signed_in(page, "clerk@example.org")
    page.goto(f"/cycles/{case}")
    page.get_by_role("link", name="See or change the case details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Case details")
    expect(page.get_by_label("Name of the person who died")).to_have_value("Alex Example")
    page.get_by_label("Family contact's email").fill("family at example")
    page.get_by_label("Panel size").fill("four")
    page.get_by_role("button", name="Save case details").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Family contact's email must be an email address")
    expect(summary).to_contain_text("Panel size must be a number, like 3 or 2.5")
    looked_at(page, "case-details")
    page.get_by_label("Family contact's email").fill("family@example.org")
    page.get_by_label("Panel size").fill("4")
    page.get_by_role("button", name="Save case details").click()
    expect(page.get_by_text("Saved: family contact's email, panel size")).to_be_visible()

    page.context.clear_cookies()
    signed_in(page, "observer@example.org")
    page.goto(f"/cycles/{case}/fields")
    expect(page.get_by_text("(withheld)").first).to_be_visible()
    expect(page.get_by_text("Alex Example")).to_have_count(0)
    expect(page.get_by_text("4", exact=True)).to_be_visible()  # the panel's size is not personal
    mail_page_withholds_personal_data(page, site, case)


def mail_page_withholds_personal_data(page: Page, site: LiveSite, case: str) -> None:
    """The panel's secretary runs the case's papers (an officer) but is not entitled to its personal data: a
    reminder written with the subject's name is listed as personal data withheld, not as exempt information, and
    one erased after retention says so."""
    engine = site.app.engine
    accounts = Accounts(engine, WebSettings(secure_cookies=False, password_cost="test"))
    for email in ("scribe@example.org", "officer@example.org"):
        accounts.add(email, password=site.password, admin=False, by="test")
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle_id = engine.cycle_id(session, case)
        for n, erased in ((1, None), (2, now)):  # as the reminders wrote them for the case's officer
            subject = "" if erased else "Case review of Alex Example: review under way"
            session.add(Mail(key=f"browser-personal-{case}-{n}", cycle_id=cycle_id, kind="reminder", person="officer_a",
                             recipient="officer@example.org", subject=subject, text_body=subject, html_body=subject,
                             attachments={"papers": [], "personal": True}, message_id=f"<{n}.{case}@example.org>",
                             dated=now, status="sent", attempts=1, next_attempt_at=now, sent_at=now, created_at=now,
                             erased_at=erased))
    signed_in(page, "scribe@example.org")
    page.goto(f"/cycles/{case}/mail")
    expect(page.get_by_text("Personal data withheld: it carries a case's personal details you may not see")) \
        .to_have_count(2)
    expect(page.get_by_text("Alex Example")).to_have_count(0)
    expect(page.get_by_text("exempt information")).to_have_count(0)
    looked_at(page, "mail-personal-withheld")

    page.context.clear_cookies()
    signed_in(page, "officer@example.org")
    page.goto(f"/cycles/{case}/mail")
    expect(page.get_by_text("Case review of Alex Example: review under way")).to_be_visible()
    expect(page.get_by_text("after the case's retention period")).to_be_visible()
    looked_at(page, "mail-erased-after-retention")
