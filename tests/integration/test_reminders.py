"""Reminder emails through a real SMTP server (aiosmtpd), real PostgreSQL, Redis and worker processes."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path

from celery import Celery
from click.testing import CliRunner
from sqlalchemy import select, update

from notifications import reminders
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import SmtpMailer, build_message
from tasks.app import create_app
from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from tests.integration.smtp import Received, SmtpServer
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.commands.sweep import Sweeper
from workflow.player import Player
from workflow.settings import Settings
from workflow.store.models import Deadline, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local
from workflow.time.deadlines import plan_stage


def mail_rows(app: App) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).order_by(Mail.id)))


def everything(received: Received) -> bytes:
    """The message as sent, with every base64 part decoded too: what a reader could see."""
    raw = received.message.as_bytes()
    decoded = b"".join(base64.b64decode(part.get_payload()) for part in received.message.walk()
                       if part.get("Content-Transfer-Encoding") == "base64")
    return raw + decoded


def in_process(app: App) -> tuple[Handlers, Sweeper]:
    """The workers' handlers and sweep, run in the test process on the same database."""
    engine = app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    return handlers, Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")})


def drain(app: App, handlers: Handlers, sweeper: Sweeper) -> None:
    with app.engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(app.engine, event_id)
    sweeper.sweep()


def test_every_email_of_a_simulated_cycle_is_the_preview(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    engine = shared.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    definition = engine.catalog.load(SHIPPED)
    planned = [row for row, _ in reminders.preview(definition, CYCLE, 2021, definition.initial, engine.clock.now(),
                                                   engine.catalog.templates_for_snapshot(definition))]
    assert len(planned) > 100
    # The workers read the papers the player attaches: the same data folder.
    worker = Worker(worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_DATA_DIR=str(tmp_path)),
                    tmp_path / "worker.log")
    try:
        Player(engine, engine.clock, definition, CYCLE, 2021,  # type: ignore[arg-type]
               await_scheduler=lambda done, what: wait_until(done, what, 60, check=worker.check)).play()
        wait_until(lambda: len(smtp.received) >= len(mail_rows(shared)) and all(m.status == "sent" for m in mail_rows(shared)),
                   "every reminder to arrive", 90, check=worker.check)
    finally:
        worker.stop()
    kinds = {m.message_id: m.kind for m in mail_rows(shared)}
    reminders_received = [r for r in smtp.received if kinds[r.header("Message-ID")] == "reminder"]
    received = sorted((r.rcpt_tos[0], r.header("Subject").strip(), parsedate_to_datetime(r.header("Date")))
                      for r in reminders_received)
    expected = sorted((p.email, p.subject, p.when) for p in planned)
    assert received == expected
    assert len({r.header("Message-ID") for r in smtp.received}) == len(smtp.received), "no email came twice"
    assert any(kind == "document" for kind in kinds.values()), "sign-off records went to the next boards too"


def _first_reminders(app: App, tmp_path: Path) -> list[Mail]:
    """Start a cycle and let the in-process pipeline queue the first board reminders (8 July 2021)."""
    handlers, sweeper = in_process(app)
    app.engine.start(SHIPPED, 2021, AUTHOR)
    drain(app, handlers, sweeper)
    app.engine.clock.set(at_local(dt.date(2021, 7, 8), 9))  # type: ignore[attr-defined]
    drain(app, handlers, sweeper)
    rows = mail_rows(app)
    # The MK Together members, its chair and the report author; and the author's papers-due reminder, whose
    # date had passed when the cycle started, sent at once.
    assert len(rows) == 8
    assert sum(r.subject.startswith("Papers due") for r in rows) == 1
    return rows


def _sender(env: dict[str, str]) -> Celery:
    return create_app(Settings.from_env(env))


def test_the_same_reminder_delivered_twice_is_one_email(
    pg_app: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    rows = _first_reminders(pg_app, tmp_path)
    # The sweep running the same reminder again queues nothing new.
    with pg_app.engine.unit_of_work() as session:
        session.execute(update(Deadline).where(Deadline.kind == "reminder").values(status="pending"))
    in_process(pg_app)[1].sweep()
    assert len(mail_rows(pg_app)) == len(rows)

    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url)
    worker = Worker(env, tmp_path / "worker.log", beat=False)
    sender = _sender(env)
    try:
        target = rows[0].id
        for _ in range(2):
            sender.send_task("cycle.deliver_one", args=[target], queue=env["CYCLE_QUEUE"])
        wait_until(lambda: mail_rows(pg_app)[0].status == "sent", "the reminder to be sent", 60, check=worker.check)
        for _ in range(2):  # and once more after it was sent
            sender.send_task("cycle.deliver_one", args=[target], queue=env["CYCLE_QUEUE"])
        wait_until(lambda: worker.output().count("cycle.deliver_one") >= 8, "all four tasks to run", 60,
                   check=worker.check)
    finally:
        worker.stop()
        sender.close()
    sent = [r for r in smtp.received if r.header("Message-ID") == rows[0].message_id]
    assert len(sent) == 1
    assert sent[0].rcpt_tos == [rows[0].recipient]
    assert len(smtp.received) == 1, "only the reminder asked for was sent"
    assert mail_rows(pg_app)[0].attempts == 1


def test_smtp_refusing_connections_for_a_while_delivers_once_when_back(
    pg_app: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    rows = _first_reminders(pg_app, tmp_path)
    smtp.stop()
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_MAIL_RETRY_BASE="0.5")
    worker = Worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: all(m.status == "retrying" and m.attempts >= 2 for m in mail_rows(pg_app)),
                   "every reminder to fail and wait to be retried", 60, check=worker.check)
        assert all("Connection refused" in (m.last_error or "") for m in mail_rows(pg_app))
        smtp.start()
        wait_until(lambda: all(m.status == "sent" for m in mail_rows(pg_app)), "the reminders to go out", 90,
                   check=worker.check)
    finally:
        worker.stop()
    ids = Counter(r.header("Message-ID") for r in smtp.received)
    assert sorted(ids) == sorted(m.message_id for m in rows)
    assert set(ids.values()) == {1}, "each reminder arrived exactly once"


def test_exempt_paper_reaches_entitled_members_and_no_public_email(
    pg_app: App, tmp_path: Path, smtp: SmtpServer
) -> None:
    app, engine = pg_app, pg_app.engine
    handlers, sweeper = in_process(app)
    engine.start(SHIPPED, 2021, AUTHOR)
    drain(app, handlers, sweeper)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    carry(app, "mk_together", "early_findings")
    engine.clock.set(at_local(dt.date(2021, 7, 13), 10))  # type: ignore[attr-defined]
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    drain(app, handlers, sweeper)
    marker = "NIGHTJAR-7f3a"
    engine.attach(CYCLE, "strategic_assessment",
                  paper_file(tmp_path, "sa", f"Annex: named individuals {marker}\n"), AUTHOR, exempt=1,
                  title=f"Operation {marker} briefing")
    # The Risk Board misses its date: overdue reminders, then escalation beyond the board.
    engine.clock.set(at_local(dt.date(2021, 9, 10), 10))  # type: ignore[attr-defined]
    drain(app, handlers, sweeper)
    drain(app, handlers, sweeper)
    Delivery(engine, SmtpMailer(smtp.url), DeliveryPolicy()).deliver_due(limit=500)
    by_person: dict[str, list[Received]] = {}
    rows = {m.message_id: m for m in mail_rows(app)}
    for received in smtp.received:
        by_person.setdefault(rows[received.header("Message-ID")].person, []).append(received)
    assert "council_chief_executive" in by_person, "escalated to the MK Together chair"
    assert "fire_group_commander" in by_person, "the Risk Board's voting members were reminded"
    definition = engine.catalog.load(SHIPPED)
    risk_board = dict(definition.boards["risk_board"].members)
    for person, emails in by_person.items():
        for received in emails:
            seen = marker.encode() in everything(received)
            if person in risk_board and risk_board[person].value != "observer":
                # The author's papers-due reminder went as the stage opened, before the paper existed.
                assert seen or str(received.header("Subject")).startswith("Papers due"), \
                    f"{person} sits on the Risk Board and receives the exempt paper"
            else:
                assert not seen, f"the exempt paper reached {person}, who is not entitled to it"


def test_a_crlf_in_a_name_or_subject_cannot_add_a_header(smtp: SmtpServer) -> None:
    message = build_message(
        sender="strategy-cycle@example.org", sender_name="Strategy cycle\r\nBcc: intruder@example.net",
        to_name="Risk Board\r\nX-Injected: yes", to_address="member@example.org",
        subject="Risk Board\r\nBcc: intruder@example.net\r\n\r\nforged body", text="Body", html="<p>Body</p>",
        dated=dt.datetime(2021, 8, 5, 8, tzinfo=dt.UTC), message_id="<injection@example.org>",
    )
    SmtpMailer(smtp.url).send(message)
    (received,) = smtp.received
    assert received.rcpt_tos == ["member@example.org"]
    assert received.message["Bcc"] is None and received.message["X-Injected"] is None
    assert received.header("Subject") == "Risk Board Bcc: intruder@example.net forged body"
    assert received.message.get_body(("plain",)).get_content().strip() == "Body"


def test_settings_reach_the_worker_app() -> None:
    env = {"CYCLE_BROKER_URL": "redis://127.0.0.1:6379/0", "CYCLE_QUEUE": "q", "CYCLE_SMTP_URL": "smtp://h:25"}
    with create_app(Settings.from_env(env)) as app:
        assert app.conf.task_default_queue == "q" and app.conf.task_acks_late
        assert app.runtime.settings.smtp_url == "smtp://h:25"


def test_a_refused_address_is_marked_failed_and_shown(pg_app: App, tmp_path: Path, smtp: SmtpServer, pg_url: str) -> None:
    rows = _first_reminders(pg_app, tmp_path)
    refused = next(r for r in rows if [x.recipient for x in rows].count(r.recipient) == 1)
    smtp.inbox.refuse.add(refused.recipient)
    report = Delivery(pg_app.engine, SmtpMailer(smtp.url), DeliveryPolicy()).deliver_due(limit=50)
    assert report.failed == [refused.id]
    assert sorted(report.sent) == sorted(r.id for r in rows if r is not refused)
    stored = next(m for m in mail_rows(pg_app) if m.id == refused.id)
    assert stored.status == "failed" and "550" in (stored.last_error or "")
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": pg_url, "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    listed = CliRunner().invoke(main, ["mail", "list", "--status", "failed", "--json"], env=env)
    assert [(m["id"], m["to"]) for m in json.loads(listed.output)] == [(refused.id, refused.recipient)]
    retried = CliRunner().invoke(main, ["mail", "retry", str(refused.id), "--as", "committee_manager"], env=env)
    assert retried.exit_code == 0, retried.output
    assert next(m for m in mail_rows(pg_app) if m.id == refused.id).status == "pending"
    denied = CliRunner().invoke(main, ["mail", "retry", str(refused.id), "--as", "fire_group_commander"], env=env)
    assert denied.exit_code == 3 and "cannot retry mail" in denied.stderr
