"""Who is waited for, in a browser: the report author's My work lists the board's decision it waits for and who
records it; the cycle page links an unmet gate to the form that meets it, filled in, for the author (the paper)
and for the committee manager (the decision); a refused step comes back to the cycle page naming who acts."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.helpers import AUTHOR

SHIPPED = "community_safety_strategy"
YEAR = 2023  # a cycle of its own, so the shared 2021 cycle the other tests move on is left alone
TITLE = "Community Safety Strategy, 2023 to 2024"
DECISION = "The MK Together Management Board's decision on 'Strategic assessment - early findings'"


def test_the_author_sees_who_they_wait_for_and_the_gates_open_their_forms_filled_in(page: Page,
                                                                                      site: LiveSite) -> None:
    engine = site.app.engine
    key = next((c["cycle"] for c in engine.list_cycles() if c["definition"] == SHIPPED and c["year"] == YEAR),
               None) or engine.start(SHIPPED, YEAR, AUTHOR).cycle

    signed_in(page, site.people.officer)
    page.goto("/my-work")
    expect(page.get_by_role("heading", name="Waiting for")).to_be_visible()
    waiting = page.locator("#waiting-for + p + table")
    row = waiting.locator("tbody tr").filter(has_text=TITLE)
    expect(row).to_contain_text(DECISION)
    expect(row).to_contain_text("Helen Marsh, committee manager")
    expect(row).to_contain_text("Before you can: Early findings discussed at MK Together Management Board")
    looked_at(page, "my-work-waiting-for")

    # The cycle page: the papers gate the author can meet links to the attach form with the paper chosen.
    row.get_by_role("link", name=TITLE).click()
    assert page.url.endswith(f"/cycles/{key}#next")
    expect(page.get_by_text("Helen Marsh (committee manager) records it.").first).to_be_visible()
    page.get_by_role("link", name="Attach ‘Strategic assessment - early findings’").click()
    assert page.url.endswith(f"/cycles/{key}/papers/new?paper=early_findings")
    expect(page.get_by_label("Which paper is it?")).to_have_value("early_findings")
    looked_at(page, "attach-paper-prefilled")

    # A refused step comes back to the cycle page, whose address it keeps, with who can act.
    page.goto(f"/cycles/{key}")
    page.get_by_role("button", name="Early findings discussed at MK Together Management Board").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Helen Marsh (committee manager) records it")
    assert page.url.endswith(f"/cycles/{key}")
    looked_at(page, "cycle-refused-names-who-acts")

    # The committee manager's cycle page: what the stage waits for from them, and the decision form filled in.
    page.context.clear_cookies()
    signed_in(page, site.people.committee_manager)
    page.goto(f"/cycles/{key}")
    expect(page.get_by_role("heading", name="What this stage waits for from you")).to_be_visible()
    page.get_by_role("link", name="Record the MK Together Management Board’s decision").click()
    assert page.url.endswith(f"/cycles/{key}/decisions/new?board=mk_together&item=early_findings")
    expect(page.get_by_text("Strategic assessment - early findings").first).to_be_visible()
    expect(page.locator('input[name="board"]')).to_have_value("mk_together")
    expect(page.locator('input[name="item"]')).to_have_value("early_findings")
