"""The API takes what the CLI takes, no less and nothing unknown, and its history rows say who acted and through what."""

from __future__ import annotations

from sqlalchemy import select

from tests.integration.web.conftest import Site
from tests.integration.web.test_api import CYCLE, MK_TOGETHER_VOTES, history_rows, start
from workflow.store.models import ApiToken, Decision, HistoryEntry, WebSession


def test_an_unknown_field_is_refused_naming_it_and_nothing_is_written(web: Site) -> None:
    start(web)
    manager = web.token("committee_manager")
    before = history_rows(web)
    # `for` is the CLI's word; the API's is votes_for. Before, this recorded a 'deferred' decision with no votes.
    response = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager,
                                 json={"board": "mk_together", "item": "early_findings", "for": MK_TOGETHER_VOTES})
    assert response.status_code == 422
    assert "'for' is not a field of this request" in response.json()["detail"]
    assert history_rows(web) == before
    fired = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=manager,
                              json={"trigger": "discuss_early_findings", "as": "head_of_partnerships"})
    assert fired.status_code == 422 and "'as' is not a field" in fired.json()["detail"]
    started = web.client().post("/api/v1/cycles", headers=manager,
                                json={"definition": "community_safety_strategy", "year": 2022, "force": True})
    assert started.status_code == 422 and "'force'" in started.json()["detail"]
    assert history_rows(web) == before


def test_a_decision_amends_an_earlier_one_with_its_reason_as_the_cli_does(web: Site) -> None:
    start(web)
    manager = web.token("committee_manager")
    body = {"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES}
    first = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager, json=body)
    assert first.status_code == 201, first.text
    earlier = first.json()["decision_id"]
    unexplained = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager,
                                    json=body | {"amends": earlier})
    assert unexplained.status_code == 422 and "reason" in unexplained.json()["detail"]
    amended = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager,
                                json=body | {"amends": earlier, "reason": "the vote was miscounted",
                                             "resolution": "That the early findings be noted."})
    assert amended.status_code == 201, amended.text
    assert amended.json()["supersedes"] == earlier
    with web.engine.sessions() as session:
        row = session.get(Decision, amended.json()["decision_id"])
        assert row is not None
        assert row.details["supersedes"] == earlier and row.details["reason"] == "the vote was miscounted"


def test_a_history_row_written_through_the_web_names_the_session_or_token_not_its_secret(web: Site) -> None:
    officer = start(web)  # by an API token
    secret = officer["Authorization"].removeprefix("Bearer ")
    web.account("committee_manager")
    client, csrf = web.sign_in("committee_manager")
    decided = client.post(f"/api/v1/cycles/{CYCLE}/decisions", headers={"X-CSRF-Token": csrf},
                          json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES})
    assert decided.status_code == 201, decided.text
    with web.engine.sessions() as session:
        rows = list(session.scalars(select(HistoryEntry).order_by(HistoryEntry.id)))
        token_id = session.scalars(select(ApiToken.id)).one()
        session_hash = session.scalars(select(WebSession.token_hash)).one()
    started, recorded = rows[0], rows[-1]
    assert (started.action, started.data["via"]) == ("start", f"token {token_id}")
    assert (recorded.action, recorded.data["via"]) == ("decide", f"session {session_hash[:16]}")
    cookie = client.cookies["cycle_session"]
    assert all(secret not in str(r.data) and cookie not in str(r.data) for r in rows)
    # The API's history shows it too.
    shown = client.get(f"/api/v1/cycles/{CYCLE}/history").json()
    assert shown[-1]["data"]["via"] == f"session {session_hash[:16]}"


def test_a_request_that_is_not_valid_is_401_to_someone_not_signed_in_not_422(web: Site) -> None:
    # The shape of a request is told only to those who may send it: a malformed body with no, a forged or
    # a revoked credential is refused as not signed in, before it is judged as malformed.
    start(web)
    client = web.client()
    before = history_rows(web)
    for headers, cookies in (({}, {}), ({"Authorization": "Bearer cyc_forged"}, {}),
                             ({}, {"cycle_session": "forged"})):
        client.cookies.clear()
        client.cookies.update(cookies)
        response = client.post(f"/api/v1/cycles/{CYCLE}/fire", headers=headers, json={"trigger": 7, "as": "x"})
        assert response.status_code == 401, (headers, cookies, response.text)
        assert "'as'" not in response.json()["detail"]
    signed_in = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=web.token("head_of_partnerships"),
                                  json={"trigger": 7, "as": "x"})
    assert signed_in.status_code == 422 and "'as' is not a field" in signed_in.json()["detail"]
    assert history_rows(web) == before
