"""Starting a cycle from the browser: the officer's form, a second start refused, a board member refused."""

from __future__ import annotations

from sqlalchemy import select

from tests.integration.web.conftest import Site
from workflow.store.models import Cycle, HistoryEntry

HTML = {"Accept": "text/html"}
FORM = {"definition": "community_safety_strategy", "year": "2021"}


def rows(web: Site) -> list[tuple[str, str]]:
    with web.engine.sessions() as session:
        return [(h.action, h.actor) for h in session.scalars(select(HistoryEntry).order_by(HistoryEntry.id))]


def test_an_officer_starts_a_cycle_and_a_second_start_is_refused_beside_the_year(web: Site) -> None:
    web.account("head_of_partnerships")
    officer, csrf = web.sign_in("head_of_partnerships")
    assert 'href="/cycles/start"' in officer.get("/cycles", headers=HTML).text
    form = officer.get("/cycles/start", headers=HTML)
    assert form.status_code == 200 and "Community Safety Strategy" in form.text
    started = officer.post("/cycles/start", headers=HTML, data={**FORM, "csrf_token": csrf, "comment": "As agreed"})
    assert started.status_code == 303
    assert started.headers["location"] == "/cycles/community_safety_strategy-2021"
    assert rows(web) == [("start", "head_of_partnerships")]
    again = officer.post("/cycles/start", headers=HTML, data={**FORM, "csrf_token": csrf})
    assert again.status_code == 422
    assert "already exists: community_safety_strategy-2021" in again.text
    assert 'id="year-error"' in again.text and 'value="2021"' in again.text
    assert rows(web) == [("start", "head_of_partnerships")]


def test_a_board_member_may_not_start_a_cycle(web: Site) -> None:
    web.account("probation_manager")
    member, csrf = web.sign_in("probation_manager")
    assert 'href="/cycles/start"' not in member.get("/cycles", headers=HTML).text
    assert "No strategy's directory lets you start a cycle" in member.get("/cycles/start", headers=HTML).text
    refused = member.post("/cycles/start", headers=HTML, data={**FORM, "csrf_token": csrf})
    assert refused.status_code == 403
    assert "needs one of the roles" in refused.text
    with web.engine.sessions() as session:
        assert session.scalars(select(Cycle)).first() is None
