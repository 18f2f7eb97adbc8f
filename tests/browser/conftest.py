"""Browser tests: Debian's chromium, driven by Playwright, on the real site (see served.py).

The site, its workers and the browser start once for all the browser tests; each test gets a fresh
context (no cookies) and page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Page, sync_playwright

from tests.browser.served import LiveSite, live_site
from tests.integration.conftest import machine_redis

__all__ = ["machine_redis"]  # the machine's Redis fixture, for the workers

CHROMIUM = Path(os.environ.get("CYCLE_TEST_CHROMIUM", "/usr/bin/chromium"))
# Never `playwright install`: Debian's chromium, with nothing reaching out to the network on its own.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every browser test; with `-n` they all run in one process, in file order (tests/parallel.py)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="package")
def site(pg_url: str, machine_redis: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """`cycle web` and a Celery worker on a seeded database; `site.url`, `site.people.officer` etc."""
    with live_site(pg_url, machine_redis, tmp_path_factory.mktemp("browser")) as served:
        yield served


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"chromium is needed at {CHROMIUM} for the browser tests and is not there; install the Debian "
                    "package 'chromium' (make install does) or set CYCLE_TEST_CHROMIUM.", pytrace=False)
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Error as exc:
            pytest.fail(f"chromium at {CHROMIUM} could not be started for the browser tests ({exc.message}).",
                        pytrace=False)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, site: LiveSite) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) whose relative URLs go to the site."""
    fresh = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900}, locale="en-GB",
                                timezone_id="Europe/London")
    fresh.set_default_timeout(15_000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
