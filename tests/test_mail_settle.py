"""Mail a crash left 'sending' settles itself from what the row recorded; `cycle health` names it meanwhile."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from notifications.delivery import Delivery, DeliveryPolicy, DeliveryReport
from tests.test_health import run
from tests.test_notifications import FlakyMailer, _queue_one
from workflow.app import App
from workflow.errors import ConfigurationError
from workflow.reads import health
from workflow.settings import Settings
from workflow.store.models import Mail
from workflow.store.outbox import wall_clock


class HandingOver:
    """Calls `before_data` as the SMTP mailer does once the envelope is accepted, then stops (a crash)."""

    def __init__(self, crash_after_data: bool) -> None:
        self.crash_after_data = crash_after_data

    def send(self, message: Any, before_data: Any = None) -> None:
        if self.crash_after_data:
            before_data()
        raise KeyboardInterrupt  # stands for the SIGKILL: nothing after this line runs


def _crash(app: App, mail_id: int, *, after_data: bool) -> None:
    with pytest.raises(KeyboardInterrupt):
        Delivery(app.engine, HandingOver(after_data), DeliveryPolicy()).deliver(mail_id)


def _row(app: App, mail_id: int) -> Mail:
    with app.engine.sessions() as session:
        row = session.get(Mail, mail_id)
        assert row is not None
        return row


def _age(app: App, mail_id: int, seconds: float) -> None:
    with app.engine.unit_of_work() as session:
        row = session.get(Mail, mail_id)
        assert row is not None and row.claimed_at is not None
        row.claimed_at = row.claimed_at - dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("after_data", [False, True])
def test_a_row_left_sending_goes_back_to_retrying_after_the_lease(app: App, after_data: bool) -> None:
    mail_id = _queue_one(app)
    _crash(app, mail_id, after_data=after_data)
    assert (_row(app, mail_id).status, _row(app, mail_id).phase) == ("sending", "data" if after_data else "connecting")
    delivery = Delivery(app.engine, FlakyMailer([]), DeliveryPolicy(lease=30))
    assert delivery.expire_leases() == 0, "within the lease the row is its worker's"
    _age(app, mail_id, 31)
    mailer = FlakyMailer([])
    assert Delivery(app.engine, mailer, DeliveryPolicy(lease=30)).deliver_due().sent == [mail_id]
    row = _row(app, mail_id)
    assert row.status == "sent" and row.attempts == 2 and row.phase is None
    (message,) = mailer.sent
    assert message["Message-ID"] == "<k1@example.org>", "sent again with the Message-ID a first copy carried"


def test_a_250_noted_in_the_journal_is_recorded_sent_not_sent_again(app: App, tmp_path: Path) -> None:
    mail_id = _queue_one(app)
    _crash(app, mail_id, after_data=True)
    journal = tmp_path / "mail-delivered"
    journal.mkdir()
    (journal / str(mail_id)).write_text(wall_clock().isoformat())  # the 250 came; the database was away
    _age(app, mail_id, 700)
    mailer = FlakyMailer([])
    Delivery(app.engine, mailer, DeliveryPolicy(), journal=journal).deliver_due()
    assert _row(app, mail_id).status == "sent" and mailer.sent == [], "delivered once, and recorded so"
    assert not list(journal.iterdir())


def test_a_worker_whose_lease_expired_hands_nothing_over(app: App) -> None:
    mail_id = _queue_one(app)
    delivery = Delivery(app.engine, FlakyMailer([]), DeliveryPolicy())
    claim = delivery._claim(mail_id)
    assert claim is not None
    with app.engine.unit_of_work() as session:  # meanwhile the lease expired and another worker claimed it
        row = session.get(Mail, mail_id)
        assert row is not None and row.claimed_at is not None
        row.claimed_at = row.claimed_at + dt.timedelta(seconds=1)
    late = Delivery(app.engine, HandingOver(crash_after_data=True), DeliveryPolicy())
    late._send(*claim, DeliveryReport())  # the late worker's before_data finds the row taken: nothing leaves
    assert _row(app, mail_id).phase == "connecting", "the other worker's claim is untouched"


def test_health_names_mail_sending_too_long_and_restarted_consumers(app: App, tmp_path: Path) -> None:
    mail_id = _queue_one(app)
    _crash(app, mail_id, after_data=True)
    _age(app, mail_id, 90)
    health.restarted(app.engine, "worker:w1@host", -9)
    stuck = run(tmp_path, "--json")
    problems = json.loads(stuck.stdout)["problems"]
    assert stuck.exit_code == 1
    assert any(f"mail {mail_id} " in p and "handing it over" in p and f"'cycle mail show {mail_id}'" in p
               for p in problems), problems
    assert any("worker:w1@host" in p and "restarted 1 time(s)" in p and "SIGKILL" not in p and "signal 9" in p
               for p in problems), problems


def test_the_lease_is_a_setting(tmp_path: Path) -> None:
    base = {"CYCLE_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).mail_lease == 600
    assert Settings.from_env(base | {"CYCLE_MAIL_LEASE": "45"}).mail_lease == 45
    with pytest.raises(ConfigurationError, match="CYCLE_MAIL_LEASE='soon' is not a number of seconds"):
        Settings.from_env(base | {"CYCLE_MAIL_LEASE": "soon"})
