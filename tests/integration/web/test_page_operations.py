"""Operations (admins): what waits or failed, who last reported, and retry as the CLI does it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.integration.web.conftest import Site
from workflow.reads import health
from workflow.store.models import Deadline, Mail
from workflow.store.outbox import wall_clock

HTML = {"Accept": "text/html"}


def started_with_failures(web: Site) -> None:
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    now = web.engine.clock.now()
    with web.engine.unit_of_work() as session:
        session.add(Mail(key="reminder:x", cycle_id=1, kind="reminder", person="director_policy",
                         recipient=web.email("director_policy"), subject="Papers for MK Together on 13 July",
                         text_body="-", html_body="<p>-</p>", attachments={}, message_id="<1@test>", dated=now,
                         status="failed", attempts=5, next_attempt_at=now, last_error="550 mailbox unavailable",
                         created_at=now))
        session.add(Deadline(key="k", cycle_id=1, stage="early_findings", kind="stage_overdue", entry=1,
                             due_at=now - dt.timedelta(days=1), status="failed", attempts=5, failures=5,
                             last_error="UndefinedError: 'nickname' is undefined", created_at=now))
    health.beat(web.engine, "worker:w1@host", "worker", wall_clock())


def test_only_an_admin_opens_operations(web: Site) -> None:
    started_with_failures(web)
    officer, _ = web.sign_in("head_of_partnerships")
    refused = officer.get("/operations", headers=HTML)
    assert refused.status_code == 403
    assert "is not an admin; only an admin sees and retries" in refused.text
    assert "550 mailbox unavailable" not in refused.text


def test_an_admin_sees_what_failed_and_who_reported_and_retries_it(web: Site) -> None:
    started_with_failures(web)
    web.account("committee_manager", admin=True)  # an admin who is also an officer of the cycle
    admin, csrf = web.sign_in("committee_manager")
    page = admin.get("/operations", headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    assert "Papers for MK Together on 13 July" in text and "550 mailbox unavailable" in text
    assert "Stage falls overdue" in text and "&#39;nickname&#39; is undefined" in text
    assert "Stage entered" in text  # no worker handled the start's events in this test
    assert "worker:w1@host" in text and "Reporting" in text
    assert "1 deadlines failed and wait for an officer" in text

    retried = admin.post("/operations/mail/1/retry", headers=HTML, data={"csrf_token": csrf})
    assert retried.status_code == 303
    assert "Email 1 is queued again" in admin.get("/operations", headers=HTML).text
    again = admin.post("/operations/deadlines/1/retry", headers=HTML, data={"csrf_token": csrf})
    assert again.status_code == 303
    with web.engine.sessions() as session:
        assert session.scalar(select(Mail.status).where(Mail.id == 1)) == "pending"
        assert session.scalar(select(Deadline.status).where(Deadline.id == 1)) == "pending"
    twice = admin.post("/operations/deadlines/1/retry", headers=HTML, data={"csrf_token": csrf})
    assert twice.status_code == 422
    assert "Deadline 1 is pending; only a failed deadline is retried." in twice.text
