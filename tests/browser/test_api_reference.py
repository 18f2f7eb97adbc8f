"""The API's reference in a browser: a page of the service, loading nothing from another origin and breaking no CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.browser.pages import looked_at
from tests.browser.served import LiveSite


def test_the_api_reference_loads_only_from_the_service_and_lists_the_operations(page: Page, site: LiveSite) -> None:
    origins: set[str] = set()
    complaints: list[str] = []

    def asked(request: Request) -> None:
        origins.add(f"{urlsplit(request.url).scheme}://{urlsplit(request.url).netloc}")

    def said(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            complaints.append(message.text)

    page.on("request", asked)
    page.on("console", said)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("API reference")
    expect(page.get_by_role("cell", name="POST /api/v1/cycles/{cycle}/decisions")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert origins == {site.url}, origins  # no CDN, no font service: it works on a council network too
    assert not complaints, complaints  # nothing the page uses is refused by its Content-Security-Policy
    looked_at(page, "api-reference")
