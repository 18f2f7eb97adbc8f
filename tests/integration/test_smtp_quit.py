"""What a worker records after talking to the server: a 250 is sent whatever QUIT says; never over a newer claim."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import SmtpMailer, TemporaryFailure
from tests.integration.smtp import SmtpServer, _Inbox
from tests.test_notifications import _queue_one
from workflow.app import App
from workflow.store.models import Mail


class _RudeQuit(_Inbox):
    """Accepts the message, then answers QUIT with an error (as an overloaded relay sometimes does)."""

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return "421 4.3.2 Service shutting down"


@pytest.fixture
def rude_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.inbox = _RudeQuit()
    server.start()
    yield server
    server.stop()


def test_an_error_answered_to_quit_after_the_250_counts_as_sent(app: App, rude_smtp: SmtpServer) -> None:
    mail_id = _queue_one(app)
    report = Delivery(app.engine, SmtpMailer(rude_smtp.url, timeout=5), DeliveryPolicy()).deliver(mail_id)
    assert report.sent == [mail_id] and len(rude_smtp.received) == 1
    with app.engine.sessions() as session:
        row = session.get(Mail, mail_id)
        assert row is not None and (row.status, row.attempts) == ("sent", 1)


class _TakenOverThenRefused:
    """A slow server: while this worker waits, its lease expires and another worker claims the row; then 451."""

    def __init__(self, app: App, mailer: SmtpMailer) -> None:
        self.app, self.mailer = app, mailer

    def send(self, message: Any, before_data: Any = None) -> None:
        with self.app.engine.unit_of_work() as session:
            row = session.scalars(select(Mail)).one()
            row.claimed_at = row.claimed_at - dt.timedelta(seconds=700)  # the lease ran out meanwhile
        lapsed = Delivery(self.app.engine, self.mailer, DeliveryPolicy())
        assert lapsed.expire_leases() == 1
        assert lapsed._claim(None) is not None  # the other worker's claim
        raise TemporaryFailure("the server replied 451 try again later")


def test_a_failure_is_not_recorded_over_another_workers_newer_claim(app: App, rude_smtp: SmtpServer) -> None:
    mail_id = _queue_one(app)
    mailer = _TakenOverThenRefused(app, SmtpMailer(rude_smtp.url, timeout=5))
    report = Delivery(app.engine, mailer, DeliveryPolicy()).deliver(mail_id)
    assert report.retrying == [] and report.failed == []
    with app.engine.sessions() as session:
        row = session.get(Mail, mail_id)
        assert row is not None and (row.status, row.attempts) == ("sending", 2), "the newer claim is left alone"
