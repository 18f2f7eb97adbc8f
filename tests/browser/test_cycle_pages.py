"""An officer at the Cycles list, a cycle's Overview and its History in Debian's chromium: firing a transition
from the cycle page, a refusal explained beside its button, the timeline picture with today marked."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.helpers import paper_file
from web.accounts import Accounts
from web.config import WebSettings
from workflow.time.clock import local_date

PSPO = "alcohol_pspo_variation"
PSPO_LEAD = "head_of_community_safety"  # in the PSPO's directory only, so the strategy's tests never see this cycle


def pspo_cycle(site: LiveSite) -> tuple[str, str]:
    """A PSPO variation of its own for this test, and the email of its lead, who can sign in."""
    engine = site.app.engine
    key = engine.start(PSPO, 2021, PSPO_LEAD).cycle
    email = engine.catalog.load(PSPO).people[PSPO_LEAD].email
    Accounts(engine, WebSettings(secure_cookies=False, password_cost="test")).add(email, password=site.password, admin=False, by="test")
    return key, email


def test_an_officer_fires_from_the_cycle_page_after_a_refusal_explained_beside_the_button(
        page: Page, site: LiveSite, tmp_path: Path) -> None:
    key, email = pspo_cycle(site)
    signed_in(page, email)
    page.get_by_role("link", name="Cycles").click()
    page.get_by_role("link", name="Alcohol PSPO variation and extension, 2021 to 2022").click()
    assert page.url.endswith(f"/cycles/{key}")
    submit = page.get_by_role("button", name="Evidence report submitted")
    expect(page.get_by_text("Not yet").first).to_be_visible()

    submit.click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    said = ("these papers are not attached yet: 'Evidence of alcohol-related anti-social behaviour in the restricted "
            "area'; Community Safety Officer (pspo lead) or Head of Community Safety (pspo lead) attaches it")  # who can meet the gate, named
    assert page.url.endswith(f"/cycles/{key}")  # back on the cycle page, not at the address the form posted to
    expect(summary.get_by_role("link")).to_contain_text(said)
    beside = page.locator(".govuk-error-message", has_text=said)
    expect(beside).to_be_visible()
    described = page.get_by_role("button", name="Evidence report submitted")
    assert described.get_attribute("aria-describedby") == beside.get_attribute("id")
    looked_at(page, "cycle-refused")
    # Nothing written by the refused fire (the scheduler may meanwhile have marked the stage overdue).
    assert [h["action"] for h in site.app.engine.history(key) if h["actor"] == PSPO_LEAD] == ["start"]

    site.app.engine.attach(key, "evidence_report", paper_file(tmp_path, "evidence"), PSPO_LEAD)
    page.goto(f"/cycles/{key}")
    expect(page.get_by_text("Met", exact=True)).to_be_visible()
    page.get_by_role("button", name="Evidence report submitted").click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Evidence report submitted: done;")
    expect(banner).to_contain_text("is now at 'Draft variation written and checked'")
    assert page.url.endswith(f"/cycles/{key}")
    fired = [h["trigger"] for h in site.app.engine.history(key) if h["actor"] == PSPO_LEAD and h["action"] == "fire"]
    assert fired == ["submit_evidence"]


def test_the_officer_reads_the_cycles_the_overview_with_its_timeline_and_the_history(page: Page,
                                                                                      site: LiveSite) -> None:
    signed_in(page, site.people.officer)
    page.goto("/cycles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cycles")
    row = page.get_by_role("row").filter(has_text="Community Safety Strategy, 2021 to 2022")
    expect(row).to_contain_text("Strategic assessment signed off")
    looked_at(page, "cycles")
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Show cycles").click()
    assert "overdue=yes" in page.url

    page.goto(f"/cycles/{site.cycle}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Community Safety Strategy, 2021 to 2022")
    picture = page.locator(".app-picture svg")
    expect(picture).to_be_visible()
    today = local_date(site.app.engine.clock.now())
    expect(picture).to_contain_text(f"Today, {today.day} {today:%b %Y}")
    expect(page.get_by_role("img", name=f"Timeline of Community Safety Strategy, 2021 to 2022; today is "
                                         f"{today.day} {today:%B %Y}")).to_be_visible()
    looked_at(page, "cycle")

    page.get_by_role("navigation", name="This cycle").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=2, name="History")).to_be_visible()
    expect(page.get_by_role("cell", name="Started the cycle at", exact=False)).to_be_visible()
    expect(page.get_by_role("cell", name="Fired 'Early findings discussed at MK Together Management Board'",
                            exact=False)).to_be_visible()
    looked_at(page, "history")
