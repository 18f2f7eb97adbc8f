"""The browser harness itself: axe is really run, and a failure names the rule and the element."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.accessibility import assert_accessible


def test_an_inaccessible_page_fails_naming_each_violation_and_where(page: Page) -> None:
    page.set_content("<html lang='en'><title>Bad</title><main><img id='chart' src='x.png'>"
                     "<input id='email' type='email'></main></html>")
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "bad")
    message = str(failed.value)
    assert "the bad page has 2 serious or critical accessibility violations" in message
    assert "image-alt (critical)" in message and "#chart" in message
    assert "label (critical)" in message and "#email" in message
