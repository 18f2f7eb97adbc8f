"""Accessibility checks in the browser: axe-core (vendored, see vendor/README.md) run on the page as shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# What a person relying on a screen reader or keyboard cannot get past; lesser findings are reported by
# axe but do not fail a test.
BLOCKING = ("serious", "critical")
# Moderate in axe's scale, but a page whose content sits outside every landmark hides it from landmark navigation.
ALSO_BLOCKING = ("region",)


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now, and any content outside a landmark."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the site's CSP (script-src 'self') rightly
        # does not let a <script> tag (add_script_tag) do; the page's own CSP stays in force.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [v for v in found if v.get("impact") in BLOCKING or v.get("id") in ALSO_BLOCKING]


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — at {targets}")
    return "\n".join(lines)


def assert_accessible(page: Page, name: str) -> None:
    """Fail, listing each one, when axe finds a serious or critical violation on the page called `name`."""
    found = violations(page)
    assert not found, f"the {name} page has {len(found)} serious or critical accessibility violations:\n{describe(found)}"
