"""Lists longer than a page: My work, My boards and the API's lists, a page (or a limit) at a time.

Sixty cycles of the shipped definition, 2000 to 2059, all at their first stage on the site's clock of
20 July 2021: the head of partnerships has one paper to attach in each (the most overdue first) and sits
on the boards of all of them. The Cycles page's own paging is in test_page_cycles.py.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.web.conftest import Site

HTML = {"Accept": "text/html"}
READER = "head_of_partnerships"
YEARS = range(2000, 2060)


@pytest.fixture
def sixty(web: Site) -> Site:
    for year in YEARS:
        web.engine.start("community_safety_strategy", year, READER)
    web.account(READER)
    return web


def years_named(text: str) -> list[int]:
    """The cycles a page names by title ("Community Safety Strategy, 2021 to 2022"), in the order shown."""
    found: list[int] = []
    for year in (int(y) for y in re.findall(r"Community Safety Strategy, (\d{4}) to \d{4}", text)):
        if year not in found:
            found.append(year)
    return found


def test_my_work_shows_fifty_things_to_do_the_most_overdue_first_and_the_rest_on_page_two(sixty: Site) -> None:
    client, _ = sixty.sign_in(READER)
    first = client.get("/my-work", headers=HTML).text
    assert "60 things to do" in first and "Showing 1 to 50 of 60 things to do" in first
    assert years_named(first.split('id="waiting-for"')[0]) == list(range(2000, 2050))  # most overdue first
    assert 'href="/my-work?page=2" rel="next"' in first
    second = client.get("/my-work?page=2", headers=HTML)
    assert second.status_code == 200
    assert "Showing 51 to 60 of 60 things to do" in second.text
    assert years_named(second.text.split('id="waiting-for"')[0]) == list(range(2050, 2060))
    past = client.get("/my-work?page=3", headers=HTML)
    assert past.status_code == 404
    assert "There is no page 3 of these things to do: the 60 there are fill pages 1 to 2." in past.text
    # What they wait for (the MK Together Management Board's decision in each) is paged on its own, the
    # page of things to do kept in its links.
    both = client.get("/my-work?page=2&waiting_page=2", headers=HTML).text
    assert "Showing 51 to 60 of 60 things to do" in both and "Showing 51 to 60 of 60 things you wait for" in both
    assert years_named(both.split('id="waiting-for"')[1]) == list(range(2050, 2060))
    assert 'href="/my-work?page=2#waiting-for" rel="prev"' in both
    nothing = client.get("/my-work?waiting_page=3", headers=HTML)
    assert nothing.status_code == 404 and "There is no page 3 of these things you wait for" in nothing.text


def test_my_boards_shows_ten_cycles_a_page_those_with_the_coming_meetings_first(sixty: Site) -> None:
    client, _ = sixty.sign_in(READER)
    first = client.get("/my-boards", headers=HTML).text
    assert "Showing 1 to 10 of 60 cycles" in first
    assert years_named(first) == list(range(2020, 2030))  # last year's and this year's cycles, then later ones
    assert "Risk Board" in first and "MK Together Management Board" in first
    assert 'href="/my-boards?page=2" rel="next"' in first
    assert years_named(client.get("/my-boards?page=4", headers=HTML).text) == list(range(2050, 2060))
    last = client.get("/my-boards?page=6", headers=HTML).text
    assert "Showing 51 to 60 of 60 cycles" in last and years_named(last) == list(range(2010, 2020))
    past = client.get("/my-boards?page=7", headers=HTML)
    assert past.status_code == 404 and "There is no page 7 of these cycles" in past.text


def test_the_apis_lists_answer_in_full_unless_asked_for_a_limit_and_offset(sixty: Site) -> None:
    token = sixty.token(READER)
    client = sixty.client()
    whole = client.get("/api/v1/mywork", headers=token)
    assert whole.status_code == 200 and len(whole.json()) == 60 and "x-total-count" not in whole.headers
    some = client.get("/api/v1/mywork?limit=20&offset=40", headers=token)
    assert some.status_code == 200 and some.headers["x-total-count"] == "60"
    assert some.json() == whole.json()[40:60]
    cycles = client.get("/api/v1/cycles", headers=token).json()
    assert [c["cycle"] for c in cycles] == [f"community_safety_strategy-{y}" for y in YEARS]
    paged = client.get("/api/v1/cycles?limit=50&offset=50", headers=token)
    assert paged.headers["x-total-count"] == "60"
    assert paged.json() == cycles[50:60]  # the same rows, every field, as the whole list gives them
    assert client.get("/api/v1/cycles?limit=5", headers=token).json() == cycles[:5]
    past = client.get("/api/v1/cycles?limit=10&offset=60", headers=token)
    assert past.status_code == 404
    assert past.json()["detail"] == ("there is nothing from offset 60: there are 60 cycles, so the last offset "
                                     "with any is 59")
    for asked in ("limit=0", "limit=1001", "offset=-1", "limit=many"):
        refused = client.get(f"/api/v1/mywork/waiting?{asked}", headers=token)
        assert refused.status_code == 422, asked
