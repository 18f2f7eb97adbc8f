"""The record of a meeting reaches the board that met, through real workers, PostgreSQL and an SMTP server.

A sign-off record goes to the next board and the owner, as the definition says, and to every
member of the board whose decision it records: after MK Together meets in July, its members hold the
record of that meeting even though the cycle moves on to the Risk Board. Exempt content still goes only
to those entitled to it; the workers send each record to each person once, however often they run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import update

from tasks.app import create_app
from tests.conftest import SHIPPED
from tests.integration.smtp import Received, SmtpServer
from tests.integration.test_documents import (
    MARKER,
    gate_event,
    handled,
    pdf_text,
    to_risk_board_sign_off,
)
from tests.integration.test_reminders import mail_rows
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.settings import Settings
from workflow.store.models import Mail, OutboxEvent

JULY = "Early findings discussed at MK Together Management Board"
AUGUST = "Risk Board signs off the strategic assessment"


def document_mail(app: App) -> list[Mail]:
    return [m for m in mail_rows(app) if m.kind == "document"]


def attached_pdf(received: Received) -> str:
    """The text of the PDF a person opens from the email."""
    [pdf] = [part.get_payload(decode=True) for part in received.message.walk()
             if part.get_content_type() == "application/pdf"]
    return pdf_text(pdf)


def test_each_member_of_the_board_that_met_gets_its_record_once_and_exempt_only_if_entitled(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    definition = shared.engine.catalog.load(SHIPPED)
    email = {person.id: person.email for person in definition.people.values()}
    mk_together = [person for person, _ in definition.boards["mk_together"].members]
    risk_board = {person for person, _ in definition.boards["risk_board"].members}
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url)
    worker = Worker(env, tmp_path / "worker.log")

    def all_sent() -> bool:
        rows = document_mail(shared)
        return len(rows) > 0 and all(m.status == "sent" for m in rows) and len(smtp.received) >= len(rows)

    try:
        to_risk_board_sign_off(shared, tmp_path)
        wait_until(lambda: handled(shared, gate_event(shared, "sign_off_assessment")), "the August record", 120,
                   check=worker.check)
        wait_until(all_sent, "every record to arrive", 90, check=worker.check)
        sent = len(document_mail(shared))
        # The July gate's event delivered again, as after a worker died before marking it handled.
        july = gate_event(shared, "discuss_early_findings")
        with shared.engine.unit_of_work() as session:
            session.execute(update(OutboxEvent).where(OutboxEvent.id == july).values(handled_at=None))
        with create_app(Settings.from_env(env)) as sender:
            sender.send_task("cycle.handle_event", args=[july], queue=env["CYCLE_QUEUE"])
        wait_until(lambda: handled(shared, july), "the repeated July event", 60, check=worker.check)
    finally:
        worker.stop()

    assert len(document_mail(shared)) == sent, "the repeated event sent nothing more"
    records = Counter((r.rcpt_tos[0], r.header("Subject").split(" (")[0]) for r in smtp.received)
    assert all(count == 1 for count in records.values()), "nobody got the same record twice"

    # Every member of MK Together holds the record of its July meeting, though the Risk Board meets next.
    outsider = "director_childrens_services"
    assert outsider not in risk_board, "a member of MK Together who does not sit on the next board"
    for person in mk_together:
        assert records[email[person], f"Sign-off record: {JULY}"] == 1, person
    july_record = next(r for r in smtp.received if r.rcpt_tos == [email[outsider]] and JULY in r.header("Subject"))
    text = " ".join(attached_pdf(july_record).split())
    assert "MK Together" in text and "Decision record" in text

    # The Risk Board's record: its members (all entitled) get the exempt version; Safer MK's observer,
    # who is next but not entitled, gets the public one with no trace of the exempt annex.
    by_person = {r.rcpt_tos[0]: r for r in smtp.received if AUGUST in r.header("Subject")}
    for person in risk_board:
        assert MARKER in attached_pdf(by_person[email[person]]), person
    observer = by_person[email["safeguarding_scrutineer"]]
    assert MARKER not in attached_pdf(observer) and MARKER.encode() not in observer.message.as_bytes()
