"""`POST /api/v1/cycles/{id}/fire` checks who is asking in the same move as the command: every check stays.

The endpoint looks up the token or session, finds the person's seat at the cycle and fires in one
call on the thread pool. These tests hold it to what the slower path promised: a revoked token or an
ended session is refused on the very next request, whoever revoked it; a cookie session's fire needs
its CSRF token; the history row names the token or session it came through; refusals write nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from tests.integration.web.conftest import Site, served_site
from tests.integration.web.test_api import CYCLE, MK_TOGETHER_VOTES, history_rows, start
from web.accounts import Accounts
from web.config import WebSettings
from workflow.app import build
from workflow.store.models import HistoryEntry

FIRST = {"trigger": "discuss_early_findings"}


def ready_to_fire(web: Site, officer: dict[str, str]) -> None:
    """The first step's gate met: the early findings attached, the board's decision recorded."""
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer, data={"paper": "early_findings"},
                                 files={"file": ("f.txt", b"findings", "text/plain")})
    assert attached.status_code == 201, attached.text
    decided = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=web.token("committee_manager"),
                                json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES,
                                      "apologies": ["police_area_commander"]})
    assert decided.status_code == 201, decided.text


@contextmanager
def statements_sent(web: Site) -> Iterator[list[str]]:
    """The SQL the site's engine sends while the block runs, in order."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    bind = web.engine.sessions.kw["bind"]
    event.listen(bind, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", seen)


def last_via(web: Site) -> str | None:
    with web.engine.sessions() as session:
        row = session.scalars(select(HistoryEntry).order_by(HistoryEntry.id.desc())).first()
        assert row is not None
        return row.data.get("via")


def test_a_token_fire_names_the_token_and_a_revoked_token_is_refused_at_once(web: Site) -> None:
    officer = start(web)
    ready_to_fire(web, officer)
    fired = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json=FIRST)
    assert fired.status_code == 200, fired.text
    assert fired.json()["to_state"] == "assessment_sign_off"
    token_id = web.accounts.tokens(web.email("head_of_partnerships"))[-1].id
    assert last_via(web) == f"token {token_id}"

    # Revoked through another engine and pool, as `cycle tokens revoke` in another process would.
    other = build(web.app.state.cycle.settings)
    try:
        Accounts(other.engine, WebSettings(secure_cookies=False)).revoke_token(web.email("head_of_partnerships"),
                                                                              token_id)
    finally:
        other.close()
    before = history_rows(web)
    refused = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer,
                                json={"trigger": "submit_assessment"})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the API token is not recognised or has been revoked"
    assert history_rows(web) == before


def test_a_forged_token_or_a_stranger_is_refused_before_anything_is_written(web: Site) -> None:
    start(web)
    before = history_rows(web)
    forged = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers={"Authorization": "Bearer cyc_forged"},
                               json=FIRST)
    no_scheme = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers={"Authorization": "cyc_forged"},
                                  json=FIRST)
    assert (forged.status_code, no_scheme.status_code) == (401, 401)
    # A board member without the role: 403; the cycle's directory decides, as for --as.
    member = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=web.token("director_policy"), json=FIRST)
    assert member.status_code == 403, member.text
    missing = web.client().post("/api/v1/cycles/no_such_cycle-2021/fire", headers=web.token("head_of_partnerships"),
                                json=FIRST)
    assert missing.status_code == 404
    assert history_rows(web) == before


def test_a_cookie_session_fires_only_with_its_csrf_token_and_the_row_names_the_session(web: Site) -> None:
    ready_to_fire(web, start(web))  # start makes the officer's account
    client, csrf = web.sign_in("head_of_partnerships")
    before = history_rows(web)
    refused = client.post(f"/api/v1/cycles/{CYCLE}/fire", json=FIRST)
    wrong = client.post(f"/api/v1/cycles/{CYCLE}/fire", json=FIRST, headers={"X-CSRF-Token": "guess"})
    assert (refused.status_code, wrong.status_code) == (403, 403)
    assert "CSRF" in refused.json()["detail"]
    assert history_rows(web) == before
    fired = client.post(f"/api/v1/cycles/{CYCLE}/fire", json=FIRST, headers={"X-CSRF-Token": csrf})
    assert fired.status_code == 200, fired.text
    assert (last_via(web) or "").startswith("session ")

    session = client.cookies["cycle_session"]
    signed_out = client.post("/auth/logout", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    client.cookies.set("cycle_session", session)  # the ended session's cookie, sent again
    after = client.post(f"/api/v1/cycles/{CYCLE}/fire", json={"trigger": "submit_assessment"},
                        headers={"X-CSRF-Token": csrf})
    assert after.status_code == 401


def test_a_fire_by_id_reads_who_asks_and_where_they_sit_in_one_query(web: Site) -> None:
    officer = start(web)
    ready_to_fire(web, officer)
    too_large = web.client().post("/api/v1/cycles/99999999999/fire", headers=officer, json=FIRST)
    assert too_large.status_code == 404
    assert too_large.json()["detail"] == "there is no cycle '99999999999'"

    with statements_sent(web) as statements:
        fired = web.client().post(f"/api/v1/cycles/{web.engine.definition_of(CYCLE)[0].id}/fire", headers=officer,
                                  json=FIRST)
    assert fired.status_code == 200, fired.text
    assert fired.json()["cycle"] == CYCLE
    # The token's row and the cycle's row come back together, and the cycle's row is not asked for again.
    credential = [s for s in statements if "api_tokens" in s]
    assert len(credential) == 1 and "LEFT OUTER JOIN cycles" in credential[0]
    assert not [s for s in statements if re.search(r"FROM cycles\s+WHERE cycles\.id", s)]


def test_on_sqlite_a_forged_token_is_refused_without_taking_the_write_lock(tmp_path: Any) -> None:
    """The embedded default has one write lock, taken as a command begins: a stranger's request must not hold it."""
    with served_site(f"sqlite:///{tmp_path / 'cycle.db'}", tmp_path / "data") as web:
        officer = start(web)
        with statements_sent(web) as statements:
            forged = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers={"Authorization": "Bearer cyc_forged"},
                                       json=FIRST)
            assert forged.status_code == 401
            assert not [s for s in statements if "IMMEDIATE" in s], statements
            gated = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json=FIRST)
        # The officer's fire is a command: it takes the lock, and is refused by the gate, not by the sign-in.
        assert gated.status_code == 422 and "not possible yet" in gated.json()["detail"], gated.text
        assert [s for s in statements if "IMMEDIATE" in s]
        ready_to_fire(web, officer)
        fired = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json=FIRST)
        assert fired.status_code == 200, fired.text
        assert fired.json()["to_state"] == "assessment_sign_off"
        web.close()
