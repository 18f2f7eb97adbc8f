"""A mail row held past the worker's lock wait: the message is neither failed nor sent twice.

A worker records each message's DATA phase just before it hands the message over. When another
transaction holds the row (a stuck process, an operator's open `psql`), that write gives up after
the lock wait: the message must not leave, must not be marked failed (nothing is wrong with it),
and once the row is free it goes out exactly once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import SmtpMailer
from tests.conftest import make_settings
from tests.integration.smtp import SmtpServer
from tests.test_notifications import _queue_one
from workflow.app import App, build
from workflow.store.db import normalise_url
from workflow.store.models import Mail
from workflow.time.clock import SimulatedClock


class _HeldBeforeData:
    """Sends through the real server, but first has another connection take the row and keep it."""

    def __init__(self, url: str, mailer: SmtpMailer) -> None:
        self.url, self.mailer = url, mailer

    def send(self, message: Any, before_data: Any = None) -> None:
        other = create_engine(normalise_url(self.url))
        try:
            with other.connect() as connection, connection.begin() as transaction:
                connection.execute(text("SELECT id FROM mail FOR UPDATE")).all()
                try:
                    self.mailer.send(message, before_data=before_data)
                finally:
                    transaction.rollback()
        finally:
            other.dispose()


def test_a_mail_row_held_past_the_lock_wait_is_left_for_its_lease_and_then_sent_once(
        pg_app: App, pg_url: str, tmp_path: Path, clock: SimulatedClock, smtp: SmtpServer) -> None:
    settings = dataclasses.replace(make_settings(tmp_path, pg_url), lock_wait=1.0, worker_lock_wait=1.0)
    worker = build(settings, clock=clock)
    try:
        mail_id = _queue_one(worker)
        held = Delivery(worker.engine, _HeldBeforeData(pg_url, SmtpMailer(smtp.url, timeout=5)), DeliveryPolicy())
        report = held.deliver(mail_id)
        assert (report.sent, report.failed, smtp.received) == ([], [], [])
        with worker.engine.sessions() as session:
            row = session.get(Mail, mail_id)
            assert row is not None and (row.status, row.last_error) == ("sending", None)

        with worker.engine.unit_of_work() as session:  # as if the lease ran out
            row = session.get(Mail, mail_id)
            assert row is not None and row.claimed_at is not None
            row.claimed_at -= dt.timedelta(seconds=DeliveryPolicy().lease + 60)
        free = Delivery(worker.engine, SmtpMailer(smtp.url, timeout=5), DeliveryPolicy())
        assert free.expire_leases() == 1
        with worker.engine.unit_of_work() as session:
            row = session.get(Mail, mail_id)
            assert row is not None
            row.next_attempt_at = dt.datetime.now(dt.UTC)
        assert free.deliver(mail_id).sent == [mail_id]
        assert free.deliver(mail_id).sent == []
        assert [m.rcpt_tos for m in smtp.received] == [["fire.commander@example.org"]]
    finally:
        worker.close()
