"""A template that names a case's fields: each recipient reads the values they are entitled to."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select

from notifications import reminders
from tests.test_case_fields import OFFICER, START, case_app  # noqa: F401  (the fixture)
from workflow.app import App
from workflow.commands.sweep import Sweeper
from workflow.store.models import Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local
from workflow.time.deadlines import plan_stage


def test_a_reminder_names_the_case_and_withholds_personal_values_from_the_unentitled(case_app: App) -> None:  # noqa: F811
    engine = case_app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    sweeper = Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")})
    engine.start("case_review", 2026, OFFICER, fields={**START, "review_kind": "short"})
    with engine.sessions() as session:
        for event_id in session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all():
            handlers.handle(engine, event_id)
    engine.clock.set(at_local(dt.date(2026, 5, 5), 12))  # type: ignore[attr-defined]
    sweeper.sweep()
    with engine.sessions() as session:
        mails = {m.person: m for m in session.scalars(select(Mail).where(Mail.kind == "reminder"))}
    assert set(mails) == {"officer_a", "chair_c", "observer_d"}  # the owner and the panel's members
    for entitled in ("officer_a", "chair_c"):  # the case's officer; the panel's voting chair
        assert mails[entitled].subject.startswith("Case review of Alex Example: Death notified due")
        assert "the death of Alex Example (died 14 March 2026)" in mails[entitled].text_body
        assert "This is a short review." in mails[entitled].text_body
    observer = mails["observer_d"]  # sits in public session only
    assert observer.subject.startswith("Case review of (withheld): Death notified due")
    assert "Alex Example" not in observer.text_body + observer.html_body
    assert "2026-03-14" not in observer.text_body and "14 March 2026" not in observer.text_body
    assert "This is a short review." in observer.text_body  # not personal
