"""Outside parties in Debian's chromium, on a phone: a review's coordinator adds the family contact from the case's
page (a mistake shown beside its control first), changes them, then downloads the letter written to them and marks
it posted; it leaves the letters to post and says who posted it and when. Then they choose the review's panel,
told first which member is not independent of the chair's organisation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from notifications import outside
from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from web.accounts import Accounts
from web.config import WebSettings
from workflow.store.models import CaseContact, Cycle

DHR = "domestic_homicide_review"
YEAR = 2032  # a year no other browser test uses
COORDINATOR = "dhr.coordinator@example.org"


@pytest.fixture
def review(site: LiveSite) -> Iterator[str]:
    engine = site.app.engine
    accounts = Accounts(engine, WebSettings(secure_cookies=False, password_cost="test"))
    if not any(a.email == COORDINATOR for a in accounts.all()):
        accounts.add(COORDINATOR, password=site.password, admin=False, by="test")
    yield engine.start(DHR, YEAR, "dhr_coordinator", fields={
        "subject_name": "Alex Example", "date_of_death": "2021-06-20", "date_notified": "2021-06-25",
        "notified_by": "police"}).cycle


def letter_to_family(site: LiveSite, cycle_key: str) -> None:
    """The reminder to the family's case role, written as the sweep writes it: a letter, as they have no email."""
    engine = site.app.engine
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle = session.scalars(select(Cycle).where(Cycle.key == cycle_key)).one()
        assert session.scalars(select(CaseContact).where(CaseContact.cycle_id == cycle.id)).first() is not None
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        outside.write(session, engine.papers, cycle, definition, definition.reminders["family_publication"],
                      "browser:1", now, now, lambda to, _p: ("Before the report is published",
                                                            f"Dear {to['name']},", f"<p>Dear {to['name']},</p>"),
                      lambda key: f"<{key}@example.org>")


def test_the_coordinator_adds_the_family_contact_and_marks_their_letter_posted(
        page: Page, site: LiveSite, review: str) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    signed_in(page, COORDINATOR)
    page.goto(f"/cycles/{review}")
    page.get_by_role("link", name="Contacts: add, change or remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    page.get_by_label("Role in the case").select_option("family_contact")
    page.get_by_label("Name").fill("Jo Example")
    page.get_by_label("Email address (optional)").fill("jo at example")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("alert")).to_contain_text("'jo at example' is not an email address")
    looked_at(page, "contacts")
    page.get_by_label("Email address (optional)").fill("")
    page.get_by_label("Postal address (optional)").fill("2 Church Lane, Newport Pagnell, MK16 0AA")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("Added Jo Example as family contact")).to_be_visible()
    expect(page.get_by_text("MK16 0AA")).to_be_visible()

    page.get_by_role("link", name="Change Jo Example").click()
    expect(page.get_by_label("Postal address (optional)")).to_have_value("2 Church Lane, Newport Pagnell, MK16 0AA")
    looked_at(page, "contact-change")
    page.get_by_label("Name").fill("Jo Example-Smith")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changed the name of Jo Example-Smith")).to_be_visible()

    letter_to_family(site, review)
    page.get_by_role("link", name="Letters for post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Letters for post")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download letter").first.click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    looked_at(page, "letters")
    page.get_by_role("button", name="Mark letter").first.click()
    expect(page.get_by_text("There are no letters to post.")).to_be_visible()
    expect(page.get_by_text("Posted on")).to_be_visible()
    expect(page.get_by_text("by Grace Ellison")).to_be_visible()


def test_the_coordinator_chooses_the_review_panel_and_is_told_who_is_not_independent(
        page: Page, site: LiveSite, review: str) -> None:
    engine = site.app.engine
    engine.decide(review, "csp_board", "commission", "committee_manager", votes_for=[
        "council_chief_executive", "police_area_commander", "ccg_chief_operating_officer", "probation_manager"])
    engine.fire(review, "commission_review", "dhr_coordinator")
    page.set_viewport_size({"width": 375, "height": 812})
    signed_in(page, COORDINATOR)
    page.goto(f"/cycles/{review}")
    page.get_by_role("link", name="Choose the Review panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the Review panel")
    page.get_by_label("Marcus Reid").check()
    page.get_by_label("Owen Threlfall").check()
    page.get_by_role("button", name="Choose the Review panel").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Owen Threlfall (Director, Northfield Review Associates) sits on the Independent chair's organisation")
    expect(page.get_by_label("Marcus Reid")).to_be_checked()
    looked_at(page, "panel-choose")
    page.get_by_label("Owen Threlfall").uncheck()
    page.get_by_label("DI Sam Okafor").check()
    page.get_by_role("button", name="Choose the Review panel").click()
    expect(page.get_by_text("The Review panel is chosen: 2 members")).to_be_visible()
