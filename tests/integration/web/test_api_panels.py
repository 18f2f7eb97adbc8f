"""Choosing a cycle's panel through the API and its page, against uvicorn and PostgreSQL, on tests/data/review.yaml: the
engine's refusal when the panel is not independent (422, the shared person named, nothing written), its role
check (403), and a choice recorded (201)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import empty_tables
from tests.integration.web.conftest import Site, served_site
from workflow.store.models import PanelMember

DATA = Path(__file__).resolve().parents[2] / "data"
CYCLE = "review-2021"


@pytest.fixture(scope="module")
def review_site(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with served_site(pg_url, Path(tmp_path_factory.mktemp("panels")), definitions_dir=DATA) as found:
        yield found
        while found.clients:
            found.clients.pop().close()
    empty_tables(pg_url)


def token(site: Site, person: str) -> dict[str, str]:
    email = site.engine.catalog.load("review").people[person].email
    if not any(a.email == email for a in site.accounts.all()):
        site.accounts.add(email, password="a long test password", admin=False, by="test")
    return {"Authorization": f"Bearer {site.accounts.create_token(email, 'test')}"}


def members(site: Site) -> int:
    with site.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(PanelMember)) or 0)


def test_a_panel_is_chosen_through_the_api_and_one_not_independent_is_refused(review_site: Site) -> None:
    client = review_site.client()
    officer, clerk = token(review_site, "case_officer"), token(review_site, "clerk")
    assert client.post("/api/v1/cycles", headers=officer, json={"definition": "review", "year": 2021}).status_code == 201
    decided = client.post(f"/api/v1/cycles/{CYCLE}/decisions", headers=clerk, json={
        "board": "partnership", "item": "commission", "votes_for": ["member_a", "member_b", "member_c"]})
    assert decided.status_code == 201, decided.text
    fired = client.post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json={"trigger": "commission_review"})
    assert fired.status_code == 200, fired.text
    url = f"/api/v1/cycles/{CYCLE}/panels/review_panel"
    refused = client.post(url, headers=clerk, json={"members": ["reviewer_1", "reviewer_2"]})
    assert refused.status_code == 422
    assert refused.json()["detail"] == ("the Review panel must be independent of the Chair's agency, but Dee Ross "
                                        "(Detective inspector) sits on the Chair's agency; choose someone else")
    assert members(review_site) == 0
    assert client.post(url, headers=officer, json={"members": ["reviewer_2"]}).status_code == 403
    chosen = client.post(url, headers=clerk, json={"members": ["reviewer_2", "reviewer_3"]})
    assert chosen.status_code == 201, chosen.text
    assert chosen.json() == {"cycle": CYCLE, "panel": "review_panel", "name": "Review panel", "choice": 1,
                             "members": ["reviewer_2", "reviewer_3"]}
    assert members(review_site) == 2


def test_the_cycles_page_says_a_panel_holds_the_cycle_up_only_until_it_is_chosen(review_site: Site) -> None:
    client = review_site.client()
    officer, clerk = token(review_site, "case_officer"), token(review_site, "clerk")
    assert client.post("/api/v1/cycles", headers=officer, json={"definition": "review", "year": 2022}).status_code == 201
    assert client.post("/api/v1/cycles/review-2022/decisions", headers=clerk, json={
        "board": "partnership", "item": "commission", "votes_for": ["member_a", "member_b", "member_c"]}).status_code == 201
    assert client.post("/api/v1/cycles/review-2022/fire", headers=officer,
                       json={"trigger": "commission_review"}).status_code == 200
    email = review_site.engine.catalog.load("review").people["case_officer"].email
    browser = review_site.client()
    form = browser.get("/auth/login")
    signed_in = browser.post("/auth/login", data={"email": email, "password": "a long test password",
                                                  "csrf_token": form.cookies["cycle_form"]})
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get("/cycles", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Review panel has not been chosen yet" in page.text
    chosen = client.post("/api/v1/cycles/review-2022/panels/review_panel", headers=clerk,
                         json={"members": ["reviewer_2", "reviewer_3"]})
    assert chosen.status_code == 201, chosen.text
    page = browser.get("/cycles", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "review-2022" in page.text
    assert "has not been chosen yet" not in page.text and "Nothing: it can move on" in page.text


def signed_in(site: Site, person: str) -> tuple[httpx.Client, str]:
    token(site, person)  # makes the account
    email = site.engine.catalog.load("review").people[person].email
    browser = site.client()
    form = browser.get("/auth/login")
    assert browser.post("/auth/login", data={"email": email, "password": "a long test password",
                                             "csrf_token": form.cookies["cycle_form"]}).status_code == 303
    return browser, browser.get("/api/v1/me").json()["csrf_token"]


def test_the_panel_page_chooses_members_and_names_those_shared_in_its_error_summary(review_site: Site) -> None:
    client = review_site.client()
    officer, clerk = token(review_site, "case_officer"), token(review_site, "clerk")
    assert client.post("/api/v1/cycles", headers=officer, json={"definition": "review", "year": 2023}).status_code == 201
    assert client.post("/api/v1/cycles/review-2023/decisions", headers=clerk, json={
        "board": "partnership", "item": "commission", "votes_for": ["member_a", "member_b", "member_c"]}).status_code == 201
    assert client.post("/api/v1/cycles/review-2023/fire", headers=officer,
                       json={"trigger": "commission_review"}).status_code == 200
    before = members(review_site)
    html = {"Accept": "text/html"}
    browser, csrf = signed_in(review_site, "clerk")
    overview = browser.get("/cycles/review-2023", headers=html)
    assert 'href="/cycles/review-2023/panels/review_panel"' in overview.text and "Choose the Review panel" in overview.text
    page = browser.get("/cycles/review-2023/panels/review_panel", headers=html)
    assert page.status_code == 200
    assert page.text.count('name="members" type="checkbox"') == 3 and "Dee Ross, Detective inspector" in page.text
    shared = browser.post("/cycles/review-2023/panels/review_panel", headers=html,
                          data={"csrf_token": csrf, "members": ["reviewer_1", "reviewer_2"]})
    assert shared.status_code == 422
    assert 'href="#members"' in shared.text and 'id="members-error"' in shared.text
    assert "Dee Ross (Detective inspector) sits on the Chair&#39;s agency" in shared.text
    assert shared.text.count("checked") == 2, "what was ticked stays ticked"
    none = browser.post("/cycles/review-2023/panels/review_panel", headers=html,
                        data={"csrf_token": csrf})
    assert none.status_code == 422 and "Choose at least one member of the Review panel" in none.text
    other, other_csrf = signed_in(review_site, "case_officer")
    assert 'name="members"' not in other.get("/cycles/review-2023/panels/review_panel",
                                             headers=html).text
    refused = other.post("/cycles/review-2023/panels/review_panel", headers=html,
                         data={"csrf_token": other_csrf, "members": ["reviewer_2"]})
    assert refused.status_code == 403
    assert members(review_site) == before, "nothing written on refusal"
    chosen = browser.post("/cycles/review-2023/panels/review_panel", headers=html,
                          data={"csrf_token": csrf, "members": ["reviewer_2", "reviewer_3"]})
    assert chosen.status_code == 303
    assert "The Review panel is chosen: 2 members" in browser.get(chosen.headers["location"], headers=html).text
    again = browser.get("/cycles/review-2023/panels/review_panel", headers=html)
    assert "Eve Hall, Safeguarding lead; Fay Ng, Health visitor lead" in again.text
    assert members(review_site) == before + 2
