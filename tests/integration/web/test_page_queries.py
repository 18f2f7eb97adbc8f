"""Every list of cycles reads them in a fixed number of SQL statements, however many cycles run: no query per cycle.

Each page is asked for with 3 running cycles and again with 12, and the statements the request
sends to PostgreSQL are counted (an SQLAlchemy `before_cursor_execute` listener on the site's
engine). A page that read each cycle's status, papers or meetings in turn would send more the
second time. Behaviour, not timing: bench/pages.py measures the time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.integration.web.conftest import Site
from tests.integration.web.test_page_boards import feed_address

PAGES = ["/my-work", "/cycles", "/cycles?definition=community_safety_strategy&overdue=yes", "/my-boards",
         "/operations", "/definitions", "/api/v1/mywork", "/api/v1/mywork/waiting", "/calendar",
         # Second pages (two rows a page here: the lists are longer than a page at 3 cycles and at 12).
         "/cycles?page=2", "/cycles?definition=community_safety_strategy&page=2", "/my-boards?page=2",
         "/api/v1/cycles?limit=2&offset=2", "/api/v1/mywork?limit=2&offset=0"]
READER = "head_of_partnerships"  # attaches papers and sits on boards: every list has something of theirs


@contextmanager
def counted(web: Site) -> Iterator[list[int]]:
    found = [0]

    def count(*_: Any) -> None:
        found[0] += 1

    database = web.app.state.cycle.database
    event.listen(database, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(database, "before_cursor_execute", count)


def start(web: Site, years: range, paper: Path) -> None:
    """Cycles of the shipped definition; each with its early findings attached, every other one a stage on."""
    for year in years:
        key = web.engine.start("community_safety_strategy", year, READER).cycle
        web.engine.attach(key, "early_findings", paper, READER)


def statements(web: Site, client: httpx.Client, token: dict[str, str], feed: str) -> dict[str, int]:
    """The statements one request of each page sends, after a request that warms what a process keeps."""
    found = {}
    for page in PAGES:
        address = feed if page == "/calendar" else page
        headers = token if page.startswith("/api/") else {"Accept": "text/html"}
        assert client.get(address, headers=headers).status_code == 200, address
        with counted(web) as sent:
            response = client.get(address, headers=headers)
        assert response.status_code == 200, (address, response.text[:500])
        found[page] = sent[0]
    return found


def test_each_list_of_cycles_sends_as_many_statements_for_twelve_cycles_as_for_three(
        web: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.pages.cycles.PAGE_SIZE", 2)
    monkeypatch.setattr("web.pages.my_work.PAGE_SIZE", 2)
    monkeypatch.setattr("web.pages.my_boards.CYCLES_A_PAGE", 2)
    paper = tmp_path / "findings.txt"
    paper.write_text("Early findings.\n")
    web.account(READER, admin=True)
    client, csrf = web.signed_in(READER)
    token = web.token(READER)
    made = client.post("/my-boards/calendar", data={"csrf_token": csrf}, headers={"Accept": "text/html"})
    assert made.status_code == 200, made.text
    feed = feed_address(made.text).removeprefix(web.url)
    start(web, range(2021, 2024), paper)
    three = statements(web, client, token, feed)
    assert all(count > 0 for count in three.values()), three
    start(web, range(2024, 2033), paper)
    twelve = statements(web, client, token, feed)
    assert twelve == three, {page: (three[page], twelve[page]) for page in PAGES if three[page] != twelve[page]}


def test_a_cycles_own_pages_send_as_many_statements_with_twelve_cycles_running_as_with_three(
        web: Site, tmp_path: Path) -> None:
    paper = tmp_path / "findings.txt"
    paper.write_text("Early findings.\n")
    web.account(READER)
    client, _ = web.signed_in(READER)
    key = "community_safety_strategy-2021"
    pages = [f"/cycles/{key}", f"/cycles/{key}/decisions", f"/cycles/{key}/papers"]
    start(web, range(2021, 2024), paper)
    counts = []
    for more in (range(0), range(2024, 2033)):
        start(web, more, paper)
        found = {}
        for page in pages:
            assert client.get(page).status_code == 200, page
            with counted(web) as sent:
                assert client.get(page).status_code == 200, page
            found[page] = sent[0]
        counts.append(found)
    assert counts[0] == counts[1]
