"""A cycle held by a transaction that does not end: the API answers 503 with Retry-After, the page says the same.

Without a bound on the wait, each request on the held cycle took one of the web's command threads for as long
as the holder lived, until the service answered nobody. Here the site waits 1 s (`CYCLE_LOCK_WAIT`).
"""

from __future__ import annotations

import time
from urllib.parse import unquote

from sqlalchemy import select

from tests.integration.test_lock_wait import held
from tests.integration.web.conftest import Site
from tests.integration.web.test_api_fire import FIRST, ready_to_fire
from tests.integration.web.test_page_cycles import CYCLE, HTML, start
from workflow.store.models import HistoryEntry
from workflow.store.unit import CYCLE_BUSY

SETTINGS = {"lock_wait": 1.0}


def fires(web: Site) -> list[str]:
    with web.engine.sessions() as session:
        return [h.to_state or "" for h in
                session.scalars(select(HistoryEntry).where(HistoryEntry.action == "fire").order_by(HistoryEntry.id))]


def test_a_fire_on_a_held_cycle_gets_503_with_retry_after_and_the_sentence_then_goes_through(
        web: Site, pg_url: str) -> None:
    officer = start(web)
    ready_to_fire(web, officer)
    browser, csrf = web.signed_in("head_of_partnerships")
    with held(pg_url, CYCLE):
        began = time.monotonic()
        refused = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json=FIRST)
        assert time.monotonic() - began < 5  # the lock wait, not the holder's lifetime
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json() == {"type": "about:blank", "title": "Service unavailable", "status": 503,
                                  "detail": CYCLE_BUSY}
        # The page's button: back to the cycle page, the sentence beside the button that was pressed.
        pressed = browser.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                               data={"trigger": "discuss_early_findings", "back": "cycle", "csrf_token": csrf})
        assert pressed.status_code == 303 and pressed.headers["location"] == f"/cycles/{CYCLE}"
        shown = browser.get(pressed.headers["location"], headers=HTML)
        assert shown.status_code == 200
        beside = shown.text.split('id="fire-1-discuss_early_findings-error"')[1].split("</p>")[0]
        assert "There is a problem" in shown.text and f"{CYCLE_BUSY[0].upper()}{CYCLE_BUSY[1:]}." in beside
    assert fires(web) == []  # nothing of either refused fire was written
    assert "is now at" not in unquote(pressed.cookies.get("cycle_notice", ""))

    # Sent again once the holder lets go, the same request goes through.
    again = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json=FIRST)
    assert again.status_code == 200, again.text
    assert fires(web) == ["assessment_sign_off"]
