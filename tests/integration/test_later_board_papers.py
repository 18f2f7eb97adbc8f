"""A paper attached for one board reaches the later board that decides on it, through a real worker to a real SMTP server.

The strategic assessment and an exempt annex under its paper id are attached for the Risk Board's
August sign-off. Safer MK decides on the strategic assessment in September (its gate names the
paper), so when the cycle reaches Safer MK's stage its members are sent both as papers for their
September meeting: the annex only to those in Safer MK's private session, never to its advisors or
observers, nor to a board that does not decide on it.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import SHIPPED
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from tests.integration.smtp import SmtpServer
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.definition.entitlement import PRIVATE_SESSION
from workflow.store.models import Deadline, Mail, OutboxEvent
from workflow.time.clock import at_local

ANNEX = "ANNEX-7c2"  # in the exempt annex's title and file
PUBLIC = "PUBLIC-SA-41d"  # in the public strategic assessment's file
EARLY = "EARLY-FINDINGS-90b"  # in MK Together's own paper, which no later stage names


def decoded(message: object) -> str:
    """Everything a reader of the email could see: headers, text and every attachment's bytes decoded."""
    parts = [message.as_string()]  # type: ignore[attr-defined]
    for part in message.walk():  # type: ignore[attr-defined]
        if part.get("Content-Transfer-Encoding") == "base64":
            parts.append(base64.b64decode(part.get_payload()).decode("utf-8", "replace"))
    return "\n".join(parts)


def settled(app: App) -> bool:
    now = app.engine.clock.now()
    with app.engine.sessions() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None)))
        due = session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == "pending",
                                                                              Deadline.due_at <= now))
    return events == 0 and due == 0


def test_the_later_board_is_sent_the_papers_it_decides_on_when_the_cycle_reaches_it(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    engine = shared.engine
    definition = engine.catalog.load("community_safety_strategy")
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_DATA_DIR=str(tmp_path))
    worker = Worker(env, tmp_path / "worker.log")

    def at(day: dt.date, hour: int = 10) -> None:
        engine.clock.set(at_local(day, hour))  # type: ignore[attr-defined]
        wait_until(lambda: settled(shared), f"the workers to catch up with {day}", 90, check=worker.check)

    try:
        engine.start(SHIPPED, 2021, AUTHOR)
        engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef", f"{EARLY}\n"), AUTHOR)
        engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa", f"{PUBLIC}\n"), AUTHOR,
                      stage="assessment_sign_off")
        engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "annex", f"{ANNEX}-FILE\n"), AUTHOR,
                      exempt=7, title=f"{ANNEX} case list", stage="assessment_sign_off")
        at(dt.date(2021, 7, 8))
        carry(shared, "mk_together", "early_findings")
        at(dt.date(2021, 7, 13), 18)
        engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
        at(dt.date(2021, 8, 16))
        carry(shared, "risk_board", "strategic_assessment")
        at(dt.date(2021, 8, 19), 18)
        engine.fire(CYCLE, "sign_off_assessment", AUTHOR)  # Safer MK's stage: it meets on 8 September
        at(dt.date(2021, 8, 20))
        with engine.sessions() as session:
            carried_at_entry = {(m.person, m.attachments["papers"][0]) for m in session.scalars(
                select(Mail).where(Mail.kind == "papers", Mail.key.like("%:assessment_presented:%")))}
        at(dt.date(2021, 9, 6))  # past Safer MK's reminders, 10 and 3 working days before it meets

        def delivered() -> bool:
            with engine.sessions() as session:
                rows = list(session.scalars(select(Mail.status)))
            return len(smtp.received) == len(rows) and all(status == "sent" for status in rows)

        wait_until(delivered, "every email to arrive", 120, check=worker.check)
    finally:
        worker.stop()

    with engine.sessions() as session:
        mail_of = {m.message_id: m for m in session.scalars(select(Mail))}
    received = [(mail_of[r.header("Message-ID")], decoded(r.message)) for r in smtp.received]
    safer_mk = {person for person, _ in definition.boards["safer_mk"].members}
    safer_private = {person for person, kind in definition.boards["safer_mk"].members if kind in PRIVATE_SESSION}
    risk_private = {person for person, kind in definition.boards["risk_board"].members if kind in PRIVATE_SESSION}
    assert {"rural_parish_representative", "safeguarding_scrutineer"} <= safer_mk - safer_private

    published_for_safer_mk = [(mail, seen) for mail, seen in received
                              if mail.kind == "papers" and ":assessment_presented:" in mail.key]
    # Sent once the cycle reached Safer MK's stage, the day the Risk Board signed the assessment off.
    assert len(carried_at_entry) == len(published_for_safer_mk)
    public_to = [mail.person for mail, seen in published_for_safer_mk if PUBLIC in seen]
    annex_to = [mail.person for mail, seen in published_for_safer_mk if f"{ANNEX}-FILE" in seen]
    assert sorted(public_to) == sorted(safer_mk), "the public paper to every member, once each"
    assert sorted(annex_to) == sorted(safer_private), "the exempt annex to Safer MK's private session, once each"
    for mail, _ in published_for_safer_mk:
        assert "Safer MK Partnership" in mail.subject and "8 September 2021" in mail.subject, mail.subject
        assert 'A paper for "Strategic assessment presented"' in mail.text_body
    assert not any(EARLY in seen for _, seen in published_for_safer_mk), "MK Together's paper is not Safer MK's"

    # Across every email: the annex reached the private session of the two boards deciding on it, and nobody else.
    assert {mail.person for mail, seen in received if f"{ANNEX}-FILE" in seen} == risk_private | safer_private
    assert not any(f"{ANNEX}-FILE" in seen for mail, seen in received
                   if mail.person.startswith("scrutiny") or mail.person in safer_mk - safer_private - risk_private)
    # Safer MK's reminders for September carry both, to a member who sits on Safer MK alone.
    reminders = [seen for mail, seen in received
                 if mail.kind == "reminder" and mail.person == "crc_head_of_operations"]
    assert reminders and all(PUBLIC in seen and f"{ANNEX}-FILE" in seen for seen in reminders)
