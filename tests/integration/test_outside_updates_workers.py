"""A family contact invited to a board meeting is sent its move, on real Celery workers, PostgreSQL, Redis and a
real SMTP server (aiosmtpd): the invitation arrives; the SMTP server goes down; the committee manager moves the
meeting; once the server is back the contact receives the update once: the same UID, a higher SEQUENCE, the new
day, them alone as attendee."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.conftest import DEFINITIONS, make_settings
from tests.helpers import CLERK, CYCLE
from tests.integration.smtp import Received, SmtpServer
from tests.integration.test_workers import unhandled
from tests.integration.workers import Worker, wait_until, worker_env
from tests.test_contact_reminders import OFFICER
from tests.test_outside_invites import definition_text
from workflow.app import App, build
from workflow.commands import contacts
from workflow.commands.meetings import change_meeting
from workflow.store.models import Deadline, Mail
from workflow.time.clock import LOCAL, at_local

BOB = "bob@example.net"


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    """The shipped strategy with a family contact, a reminder to them, and its July meeting inviting them."""
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    (folder / "community_safety_strategy.yaml").write_text(definition_text())
    return folder


@pytest.fixture
def inviting_shared(pg_app: App, pg_url: str, tmp_path: Path, defs: Path) -> Iterator[App]:
    """The engine on the test database and the shared clock the workers read, with that definition."""
    app = build(dataclasses.replace(make_settings(tmp_path, pg_url), shared_clock=True, definitions_dir=defs))
    app.engine.clock.set(at_local(dt.date(2021, 7, 1), 9))  # type: ignore[attr-defined]
    yield app
    app.close()


def to_bob(smtp: SmtpServer) -> list[Received]:
    return [r for r in smtp.received if BOB in r.rcpt_tos]


def calendar_of(received: Received) -> Calendar:
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def mails(app: App) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).order_by(Mail.id)))


def family_update_due(app: App) -> dt.datetime | None:
    with app.engine.sessions() as session:
        due = [row.due_at for row in session.scalars(select(Deadline).where(Deadline.kind == "reminder"))
               if row.data.get("rule") == "family_update"]
    return min(due) if due else None


def test_an_invited_contact_receives_the_moved_meetings_update_once_after_an_smtp_outage(
        inviting_shared: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer, defs: Path) -> None:
    app, engine = inviting_shared, inviting_shared.engine
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_DEFINITIONS_DIR=str(defs),
                     CYCLE_MAIL_RETRY_BASE="0.5")
    worker = Worker(env, tmp_path / "worker.log")
    try:
        engine.start("community_safety_strategy", 2021, OFFICER)
        contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email=BOB)
        wait_until(lambda: family_update_due(app) is not None, "the workers to plan the family's reminder", 60,
                   check=worker.check)
        engine.clock.set(family_update_due(app))  # type: ignore[attr-defined]
        wait_until(lambda: any(r.header("Subject").startswith("Invitation:") for r in to_bob(smtp)),
                   "the invitation to arrive", 60, check=worker.check)
        [invitation] = [r for r in to_bob(smtp) if r.header("Subject").startswith("Invitation:")]

        smtp.stop()  # the mail server is down when the meeting moves
        change_meeting(engine, CYCLE, "mk_together_july", CLERK, reason="Room double-booked",
                       day=dt.date(2021, 7, 20), start=dt.time(15, 0))
        wait_until(lambda: any(m.key.endswith(":update:1") and m.attempts >= 1 for m in mails(app)),
                   "the update to be tried while the server is down", 60, check=worker.check)
        smtp.start()
        wait_until(lambda: any(r.header("Subject").startswith("Meeting moved:") for r in to_bob(smtp)),
                   "the update to arrive", 60, check=worker.check)
        wait_until(lambda: unhandled(app) == 0 and all(m.status == "sent" for m in mails(app)),
                   "every event handled and every email sent", 60, check=worker.check)
        time.sleep(2)  # a few more relay, sweep and delivery rounds: nothing is sent twice
    finally:
        worker.stop()
    updates = [r for r in to_bob(smtp) if r.header("Subject").startswith("Meeting moved:")]
    assert len(updates) == 1, "exactly once"
    [update] = updates
    assert update.rcpt_tos == [BOB], "to them alone"
    assert update.header("Subject") == ("Meeting moved: MK Together Management Board (July), "
                                        "now Tuesday 20 July 2021, 15:00 to 17:00")
    body = update.message.get_body(("plain",))
    assert body is not None and "Tuesday 20 July 2021, 15:00 to 17:00" in body.get_content()
    assert not [p for p in update.message.walk() if p.get_content_disposition() == "attachment"
                and p.get_content_type() != "text/calendar"], "no paper"
    calendar = calendar_of(update)
    [event] = calendar.walk("VEVENT")
    [original] = calendar_of(invitation).walk("VEVENT")
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == str(original["uid"]) == f"{CYCLE}.mk_together_july@strategy-cycle"
    assert event["sequence"] > original["sequence"]
    assert event.decoded("dtstart").astimezone(LOCAL).replace(tzinfo=None) == dt.datetime(2021, 7, 20, 15, 0)
    assert str(event["attendee"]) == f"mailto:{BOB}", "them as the only attendee"
    board = {p.email for p in engine.catalog.load("community_safety_strategy").people.values()}
    assert not board & set(update.rcpt_tos)
    assert len(to_bob(smtp)) == len({r.header("Message-ID") for r in to_bob(smtp)}), "no email came twice"
