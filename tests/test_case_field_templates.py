"""A template that names a case's fields: each recipient reads the values they are entitled to, and a public
document never a personal one."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select

from notifications import reminders
from notifications.documents import Documents
from tests.test_case_fields import OFFICER, START, case_app  # noqa: F401  (the fixture)
from workflow.app import App
from workflow.commands.sweep import Sweeper
from workflow.definition.model import DocumentSpec
from workflow.definition.templating import make_environment, render_bounded
from workflow.store.models import Cycle, Mail, OutboxEvent
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


def test_a_documents_public_version_withholds_personal_fields_and_its_exempt_version_carries_them(
        case_app: App) -> None:  # noqa: F811
    engine = case_app.engine
    engine.start("case_review", 2026, OFFICER, fields={**START, "review_kind": "full"})
    engine.set_fields("case_review-2026", {"panel_size": "3"}, OFFICER)
    engine.fire("case_review-2026", "commission", OFFICER)
    spec = DocumentSpec("commission_record", "Commissioning record", "commission.html.j2")
    payload = {"from_stage": "notified", "to_stage": "review", "trigger": "commission", "decisions": []}
    documents = Documents(engine, case_app.documents())
    with engine.sessions() as session:
        cycle = session.scalars(select(Cycle)).one()
        definition = engine.catalog.load("case_review")
        public = documents.context(session, cycle, definition, spec, payload, engine.clock.now(), exempt=False)
        exempt = documents.context(session, cycle, definition, spec, payload, engine.clock.now(), exempt=True)
    assert public["fields"]["subject_name"] == public["fields"]["date_of_death"] == "(withheld)"
    assert public["fields"]["review_kind"] == "full" and public["fields"]["panel_size"] == "3"
    assert exempt["fields"]["subject_name"] == "Alex Example"
    assert exempt["fields"]["date_of_death"] == "14 March 2026"
    assert public["fields"]["family_contact_email"] == exempt["fields"]["family_contact_email"] == ""  # not set
    env = make_environment(engine.catalog.templates_for_snapshot(definition))
    assert "death of (withheld), commissioned as a full review" in render_bounded(env, spec.template, public)
    assert "death of Alex Example, commissioned as a full review" in render_bounded(env, spec.template, exempt)
