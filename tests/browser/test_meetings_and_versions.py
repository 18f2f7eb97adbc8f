"""Two tasks of a running cycle in Debian's chromium: the committee clerk moves the Cabinet's meeting (a date that
is not real is refused in the error summary first) and its members are sent the update by the workers; the
definition's admin previews moving the cycle to version 2 of its definition, says where its stage goes, and
moves it. Each page is looked at at a phone's width and a desk's, with axe.

Both run on PSPO variations of their own (cycle years no other test uses), so the strategy's tests never see them.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.integration.workers import wait_until
from web.accounts import Accounts
from web.config import WebSettings
from workflow.store.models import Mail

PSPO = "alcohol_pspo_variation"
LEAD = "community_safety_officer"


def pspo_cycle(site: LiveSite, year: int, person: str) -> tuple[str, str]:
    """A PSPO variation of `year` started by its lead, and the email of `person`, who can now sign in."""
    engine = site.app.engine
    key = engine.start(PSPO, year, LEAD).cycle
    email = engine.catalog.load(PSPO).people[person].email
    Accounts(engine, WebSettings(secure_cookies=False, password_cost="test")).add(
        email, password=site.password, admin=False, by="test")
    return key, email


def test_the_clerk_moves_the_cabinet_meeting_and_its_members_are_sent_the_update(page: Page, site: LiveSite) -> None:
    key, email = pspo_cycle(site, 2022, "democratic_services_officer")
    signed_in(page, email)
    page.goto(f"/cycles/{key}")
    page.get_by_role("link", name="Move or cancel a board meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board meetings")
    row = page.get_by_role("row").filter(has_text="Cabinet (September)")
    expect(row).to_contain_text("Tuesday 6 September 2022")
    looked_at(page, "meetings")

    row.get_by_role("link", name="Move or cancel the Cabinet (September)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move or cancel the Cabinet (September)")
    expect(page.get_by_label("Day", exact=True)).to_have_value("6")  # the day it has now
    looked_at(page, "meeting-change")
    page.get_by_label("Move it to another day or time").check()
    page.get_by_label("Day", exact=True).fill("31")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill("2022")
    page.get_by_label("Reason").fill("The Leader is at the Local Government Association conference")
    page.get_by_role("button", name="Continue").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text("The new date must be a real date, like 26 8 2021.")
    expect(page.locator("#new-date-error")).to_contain_text("The new date must be a real date")
    expect(page.get_by_label("Reason")).to_have_value("The Leader is at the Local Government Association conference")
    looked_at(page, "meeting-change-refused")
    assert not [h for h in site.app.engine.history(key) if h["action"] == "meeting"], "nothing written"

    page.get_by_label("Day", exact=True).fill("13")
    page.get_by_label("Month", exact=True).fill("9")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the change before telling the members")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Tuesday 13 September 2022")
    looked_at(page, "meeting-check")
    page.get_by_role("button", name="Move the meeting and tell the members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board meetings")
    members = site.app.engine.catalog.load(PSPO).boards["cabinet"].members
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"The Cabinet (September) moves to Tuesday 13 September 2022; its {len(members)} members are sent the "
        "calendar update by email")
    expect(page.get_by_role("row").filter(has_text="Cabinet (September)")).to_contain_text("Moved")

    def told() -> list[str]:
        with site.app.engine.sessions() as session:
            cycle_id = site.app.engine.cycle_id(session, key)
            return sorted(session.scalars(select(Mail.person).where(Mail.kind == "meeting",
                                                                    Mail.cycle_id == cycle_id)))
    wait_until(lambda: len(told()) == len(members), "the workers to write each Cabinet member's update")
    assert told() == sorted(person for person, _ in members)


def version_two(folder: Path) -> str:
    """Version 2 of the PSPO in the site's folder (the first stage renamed and due a week later); returns
    version 1's text, to put back."""
    path = folder / f"{PSPO}.yaml"
    first = path.read_text()
    text = re.sub(r"\bevidence\b(?=:\n|$)", "evidence_checked", first.replace("version: 1", "version: 2", 1),
                  flags=re.M)
    text = text.replace("title: Evidence gathered\n", "title: Evidence gathered and checked by Legal Services\n")
    path.write_text(text.replace("due: third Friday of May", "due: last Friday of May", 1))
    return first


def test_the_admin_previews_moving_the_cycle_to_version_two_then_moves_it(page: Page, site: LiveSite) -> None:
    key, email = pspo_cycle(site, 2023, "systems_officer")
    folder = site.app.engine.catalog.directory
    first = version_two(folder)
    try:
        signed_in(page, email)
        page.goto(f"/cycles/{key}")
        page.get_by_role("link", name="Move the cycle to another version of its definition").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Move to another version of its definition")
        looked_at(page, "migrate")
        page.get_by_label("Version 2: Alcohol PSPO variation and extension").check()
        page.get_by_role("button", name="Preview the move").click()
        expect(page.get_by_label("Where the cycle goes in version 2")).to_be_visible()
        page.get_by_role("button", name="Preview the move").click()  # not answered
        expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
            "Version 2 has no stage ‘Evidence gathered’: choose where the cycle goes.")
        looked_at(page, "migrate-stage")
        page.get_by_label("Where the cycle goes in version 2").select_option(
            label="Evidence gathered and checked by Legal Services")
        page.get_by_role("button", name="Preview the move").click()
        expect(page.get_by_role("heading", name="What moving to version 2 changes")).to_be_visible()
        expect(page.get_by_text("‘Evidence gathered’ → ‘Evidence gathered and checked by Legal Services’")).to_be_visible()
        expect(page.get_by_text("‘Evidence gathered and checked by Legal Services’ is due: Friday 19 May 2023 → "
                                "Friday 26 May 2023")).to_be_visible()
        looked_at(page, "migrate-preview")
        assert site.app.engine.status(key).version == 1, "the preview writes nothing"
        page.get_by_label("Comment for the history (optional)").fill("Legal Services check the evidence first")
        page.get_by_role("button", name="Move the cycle to version 2").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Alcohol PSPO variation and extension, 2023 to 2024")
        assert page.url.endswith(f"/cycles/{key}/history")
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "now runs on version 2 of its definition, at ‘Evidence gathered and checked by Legal Services’")
    finally:
        (folder / f"{PSPO}.yaml").write_text(first)  # later tests see the shipped version 1 in the folder
    status = site.app.engine.status(key)
    assert (status.version, status.stage) == (2, "evidence_checked")
    assert site.app.engine.history(key)[-1]["comment"] == "Legal Services check the evidence first"
