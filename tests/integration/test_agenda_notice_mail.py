"""The agenda warning through PostgreSQL and a real SMTP server (aiosmtpd): the MK Together Management Board meets on
Tuesday 13 July 2021 and its agenda is not issued, so on Friday 2 July the committee manager receives one email
saying to issue it by Monday 5 July; sweeping and delivering again sends nothing more."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select

from notifications import agenda_notice
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import SmtpMailer
from tests.conftest import SHIPPED
from tests.helpers import AUTHOR
from tests.integration.smtp import SmtpServer
from workflow.app import App
from workflow.commands.sweep import Sweeper
from workflow.store.models import OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local


def _work(app: App, smtp: SmtpServer, at: dt.datetime) -> None:
    engine = app.engine
    engine.clock.set(at)  # type: ignore[attr-defined]
    handlers = Handlers()
    handlers.on("StageEntered", "agenda", functools.partial(agenda_notice.plan, engine))
    with engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(engine, event_id)
    Sweeper(engine, {agenda_notice.AGENDA_NOTICE: agenda_notice.send_action(engine, "example.org")}).sweep()
    Delivery(engine, SmtpMailer(smtp.url), DeliveryPolicy()).deliver_due(limit=50)


def test_the_committee_manager_receives_one_warning(pg_app: App, smtp: SmtpServer) -> None:
    pg_app.engine.start(SHIPPED, 2021, AUTHOR)
    _work(pg_app, smtp, at_local(dt.date(2021, 7, 1), 10))
    assert smtp.received == [], "not before the warning day"
    _work(pg_app, smtp, at_local(dt.date(2021, 7, 2), 10))
    _work(pg_app, smtp, at_local(dt.date(2021, 7, 2), 11))
    (received,) = smtp.received
    assert received.rcpt_tos == ["committee.manager@example.org"]
    assert received.header("Subject") == ("Agenda of the MK Together Management Board (July) not yet issued: "
                                          "issue it by Monday 5 July 2021")
    body = received.message.get_body(("plain",))
    assert body is not None and "5 clear working days' notice" in body.get_content()
