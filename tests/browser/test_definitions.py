"""An admin looks after the definitions from the browser: the list, a definition with its state diagram, a year's
reminders, and an upload with mistakes in it, shown beside their lines, then the mended file, saved."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.conftest import DEFINITIONS, SHIPPED_VERSION

SHIPPED = (DEFINITIONS / "community_safety_strategy.yaml").read_text(encoding="utf-8")


def test_an_admin_reads_the_definitions_and_mends_a_broken_upload(page: Page, site: LiveSite, tmp_path: Path) -> None:
    signed_in(page, site.people.admin)
    page.get_by_role("link", name="Definitions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Definitions")
    versions = page.get_by_role("table", name="Versions of Community Safety Strategy")
    expect(versions).to_contain_text(f"Version {SHIPPED_VERSION}")
    expect(versions.get_by_role("link", name="Community Safety Strategy, 2021 to 2022")).to_be_visible()
    looked_at(page, "definitions")

    page.get_by_role("link", name="Community Safety Strategy", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Community Safety Strategy")
    expect(page.get_by_role("table", name="Transitions")).to_contain_text("Risk Board signs off the strategic assessment")
    looked_at(page, "definition")

    page.get_by_role("link", name="The reminders a cycle of").click()
    page.get_by_label("Cycle year").fill("2021")
    page.get_by_role("button", name="Show this year").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders in the cycle of 2021")
    expect(page.get_by_role("table")).to_contain_text("Priya Shah, Head of Partnerships and Resilience")
    looked_at(page, "reminders-preview")

    broken = tmp_path / "community_safety_strategy.yaml"
    broken.write_text(SHIPPED.replace("    quorum: 3\n", "    quorum: three\n", 1).replace(
        "    due: risk_board_august\n", "    due: 2 weeks after discuss_early_finding fired\n", 1), encoding="utf-8")
    page.goto("/definitions")
    page.get_by_role("link", name="Upload a new version").click()
    notes = tmp_path / "notes.txt"
    notes.write_text(SHIPPED, encoding="utf-8")
    page.get_by_label("Definition file").set_input_files(str(notes))
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#file-error")).to_contain_text(
        "'notes.txt' is not a YAML file: a definition is uploaded as a .yaml or .yml file.")
    page.get_by_label("Definition file").set_input_files(str(broken))
    page.get_by_role("button", name="Check and save").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#line-180")).to_have_class("app-line app-line--error")
    expect(page.locator("#line-180")).to_contain_text("Expected a whole number, got 'three'.")
    expect(page.locator("#line-346")).to_contain_text("did you mean 'discuss_early_findings'?")
    looked_at(page, "definition-errors")
    assert (site.app.engine.catalog.directory / "community_safety_strategy.yaml").read_text(encoding="utf-8") == SHIPPED

    mended = tmp_path / "mended" / "community_safety_strategy.yaml"
    mended.parent.mkdir()
    mended.write_text(SHIPPED, encoding="utf-8")
    page.get_by_label("Definition file").set_input_files(str(mended))
    page.get_by_role("button", name="Check and save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"new cycles of Community Safety Strategy start on version {SHIPPED_VERSION}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Community Safety Strategy")
