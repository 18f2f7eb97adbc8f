"""A poison item stops only itself: a deadline, an event or an email that fails is retried with backoff, then
set aside as failed for an officer, while every other cycle's work goes on (real PostgreSQL and SMTP server)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from notifications import reminders
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import SmtpMailer
from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED, make_settings
from tests.helpers import AUTHOR, CYCLE
from tests.integration.smtp import SmtpServer
from workflow.app import App, build
from workflow.commands.sweep import Sweeper
from workflow.store.backoff import Backoff
from workflow.store.models import Cycle, Deadline, Mail, OutboxEvent
from workflow.store.outbox import Handlers, relay
from workflow.time.clock import SimulatedClock, at_local
from workflow.time.deadlines import plan_stage

OTHER = "serious_violence_strategy"
OTHER_CYCLE = f"{OTHER}-2021"
POISONED = "director_policy"  # an MK Together member: the first reminders of the cycle go to them


@pytest.fixture
def two_definitions(tmp_path: Path) -> Path:
    """The shipped definition and a second one like it; the board reminder's subject fails for one person of one cycle.

    `recipient.nickname` is not in the context: the sandbox's strict undefined raises only when that branch runs.
    """
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, folder)
    source = (folder / f"{SHIPPED}.yaml").read_text(encoding="utf-8")
    (folder / f"{OTHER}.yaml").write_text(source.replace(f"id: {SHIPPED}", f"id: {OTHER}", 1), encoding="utf-8")
    subject = folder / "templates" / "reminder_board.subject.j2"
    subject.write_text(f"{{% if cycle.key == '{CYCLE}' and recipient.person == '{POISONED}' %}}"
                       f"{{{{ recipient.nickname }}}}{{% endif %}}" + subject.read_text(encoding="utf-8"),
                       encoding="utf-8")
    return folder


@pytest.fixture
def two_cycles(pg_app: App, pg_url: str, tmp_path: Path, two_definitions: Path) -> Iterator[App]:
    clock = SimulatedClock(at_local(dt.date(2021, 7, 1), 9))
    app = build(dataclasses.replace(make_settings(tmp_path, pg_url), definitions_dir=two_definitions), clock=clock)
    app.engine.start(SHIPPED, 2021, AUTHOR)
    app.engine.start(OTHER, 2021, AUTHOR)
    yield app
    app.close()


def cli(pg_url: str, tmp_path: Path, definitions: Path, *args: str) -> Any:
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": pg_url, "CYCLE_DEFINITIONS_DIR": str(definitions)}
    return CliRunner().invoke(main, list(args), env=env)


def handle_all(app: App, handlers: Handlers) -> None:
    with app.engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None),
                                                               OutboxEvent.failed_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(app.engine, event_id)


def test_a_reminder_failing_for_one_recipient_fails_alone_and_every_other_reminder_goes(
    two_cycles: App, pg_url: str, tmp_path: Path, two_definitions: Path
) -> None:
    app, engine = two_cycles, two_cycles.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    handle_all(app, handlers)
    sweeper = Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")},
                      backoff=Backoff(base=0, limit=3))
    engine.clock.set(at_local(dt.date(2021, 7, 8), 9))  # type: ignore[attr-defined]
    report = sweeper.sweep()

    with engine.sessions() as session:
        due = session.execute(select(Deadline, Cycle.key).join(Cycle, Cycle.id == Deadline.cycle_id)
                              .where(Deadline.due_at <= engine.clock.now())).all()
        mail = session.execute(select(Cycle.key, Mail.person).join(Cycle, Cycle.id == Mail.cycle_id)).all()
    failed = [(d, key) for d, key in due if d.status == "failed"]
    assert len(failed) == 1 and failed[0][1] == CYCLE, "only the poisoned cycle's board reminder failed"
    poisoned = failed[0][0]
    assert poisoned.failures == 3 and poisoned.attempts == 3 and "nickname" in (poisoned.last_error or "")
    assert report.failed == 1 and report.errors == 3
    assert (report.outcomes["reminder", "error"], report.outcomes["reminder", "failed"]) == (2, 1)
    assert report.outcomes["reminder", "done"] == len(due) - 1
    assert {d.status for d, key in due if d.id != poisoned.id} == {"done"}, "every other due deadline was done"
    per_cycle = Counter(key for key, _ in mail)
    # Seven MK Together members reminded, and the report author told at once that the papers are due (their date
    # fell on the day the cycle started), in each cycle: the poisoned board reminder took nothing else with it.
    assert per_cycle[OTHER_CYCLE] == 7 + 1, "the other cycle's MK Together reminders were all queued"
    assert mail.count((CYCLE, AUTHOR)) == 1 and per_cycle[CYCLE] == 1, "the poisoned cycle's papers-due reminder went"
    assert (CYCLE, POISONED) not in mail, "the failed reminder queued nothing, for nobody"

    listed = cli(pg_url, tmp_path, two_definitions, "deadlines", "list", "--status", "failed", "--json")
    assert [(row["id"], row["cycle"], row["failures"]) for row in json.loads(listed.output)] == [(poisoned.id, CYCLE, 3)]
    denied = cli(pg_url, tmp_path, two_definitions, "deadlines", "retry", str(poisoned.id), "--as", "fire_group_commander")
    assert denied.exit_code == 3 and "cannot retry deadlines" in denied.stderr
    retried = cli(pg_url, tmp_path, two_definitions, "deadlines", "retry", str(poisoned.id), "--as", AUTHOR)
    assert retried.exit_code == 0, retried.output
    with engine.sessions() as session:
        again = session.get(Deadline, poisoned.id)
        assert again is not None and (again.status, again.failures) == ("pending", 0)


def test_a_handler_raising_sets_its_event_aside_and_the_other_cycle_is_planned(
    two_cycles: App, pg_url: str, tmp_path: Path, two_definitions: Path
) -> None:
    app, engine = two_cycles, two_cycles.engine
    broken = {CYCLE}

    def fragile(session: Any, event: OutboxEvent, now: dt.datetime) -> None:
        if event.payload["cycle"] in broken:
            raise RuntimeError("the stage's calendar could not be read")

    handlers = Handlers(backoff=Backoff(base=0, limit=2))
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "calendar", fragile)
    for _ in range(3):
        handle_all(app, handlers)

    with engine.sessions() as session:
        events = {key: e for e, key in session.execute(
            select(OutboxEvent, Cycle.key).join(Cycle, Cycle.id == OutboxEvent.cycle_id)
            .where(OutboxEvent.event_type == "StageEntered"))}
        planned = Counter(session.scalars(select(Cycle.key).join(Deadline, Deadline.cycle_id == Cycle.id)))
    poisoned, other = events[CYCLE], events[OTHER_CYCLE]
    assert poisoned.failed_at is not None and poisoned.handled_at is None and poisoned.failures == 2
    assert poisoned.last_error == "calendar: RuntimeError: the stage's calendar could not be read"
    assert other.handled_at is not None and other.failures == 0
    assert planned[OTHER_CYCLE] == planned[CYCLE] > 0, "the handler before the failing one did its work in both"
    published: list[int] = []
    relay(engine, lambda event_id, _type: published.append(event_id), redeliver_after=0)
    assert poisoned.id not in published, "a failed event waits for an officer, not for the relay"

    listed = cli(pg_url, tmp_path, two_definitions, "events", "list", "--status", "failed", "--json")
    assert [row["id"] for row in json.loads(listed.output)] == [poisoned.id]
    retried = cli(pg_url, tmp_path, two_definitions, "events", "retry", str(poisoned.id), "--as", AUTHOR)
    assert retried.exit_code == 0, retried.output
    broken.clear()
    relay(engine, lambda event_id, _type: published.append(event_id), redeliver_after=0)
    assert poisoned.id in published
    assert handlers.handle(engine, poisoned.id) == ["calendar"], "the deadlines handler had run: only the other runs"


class FussyServer(SmtpServer):
    """Answers 451 to one address, 550 to another, and hangs up on a third."""

    def start(self) -> None:
        inbox = self.inbox
        accept = inbox.handle_RCPT

        async def handle_rcpt(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if address.startswith("busy@"):
                return "451 4.3.0 Mailbox busy, try again later"
            if address.startswith("gone@"):
                return "550 5.1.1 No such user here"
            if address.startswith("drop@"):
                server.transport.close()
                return "421 closing"
            return await accept(server, session, envelope, address, options)

        inbox.handle_RCPT = handle_rcpt  # type: ignore[method-assign]
        super().start()


def test_every_class_of_smtp_failure_ends_in_a_definite_status_and_other_mail_arrives_once(
    two_cycles: App, pg_url: str, tmp_path: Path, two_definitions: Path
) -> None:
    engine = two_cycles.engine
    now = dt.datetime.now(dt.UTC)
    with engine.unit_of_work() as session:
        ids = {key: session.scalar(select(Cycle.id).where(Cycle.key == key)) for key in (CYCLE, OTHER_CYCLE)}
        recipients = {"busy@example.org": CYCLE, "gone@example.org": CYCLE, "drop@example.org": CYCLE,
                      '"<a@b.c>"': CYCLE, **{f"member{i}@example.org": OTHER_CYCLE for i in range(4)}}
        for n, (address, key) in enumerate(recipients.items()):
            session.add(Mail(key=f"test:{n}", cycle_id=ids[key], kind="reminder", person=AUTHOR, recipient=address,
                             subject=f"Reminder {n}", text_body="Due soon.", html_body="<p>Due soon.</p>",
                             attachments={}, message_id=f"<test-{n}@example.org>", dated=now, status="pending",
                             attempts=0, next_attempt_at=now, created_at=now))
    server = FussyServer()
    server.start()
    try:
        delivery = Delivery(engine, SmtpMailer(server.url, timeout=5),
                            DeliveryPolicy(retry_base=0, max_attempts=3))
        for _ in range(5):
            delivery.deliver_due()
    finally:
        server.stop()
    with engine.sessions() as session:
        rows = {m.recipient: m for m in session.scalars(select(Mail))}
    assert {address: rows[address].status for address in recipients} == {address: "failed" if key == CYCLE else "sent"
                                                                           for address, key in recipients.items()}
    assert "451" in (rows["busy@example.org"].last_error or "") and rows["busy@example.org"].attempts == 3
    assert "gave up after 3 attempts" in (rows["drop@example.org"].last_error or "")
    assert "550" in (rows["gone@example.org"].last_error or "") and rows["gone@example.org"].attempts == 1
    assert "could not be built" in (rows['"<a@b.c>"'].last_error or "") and rows['"<a@b.c>"'].attempts == 1
    arrived = Counter(rcpt for received in server.received for rcpt in received.rcpt_tos)
    assert arrived == Counter({f"member{i}@example.org": 1 for i in range(4)}), "the other cycle's mail, once each"
