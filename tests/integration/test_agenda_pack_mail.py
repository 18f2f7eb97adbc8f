"""An issued agenda reaches the board through real workers, PostgreSQL and an SMTP server: each member gets the
public pack, and only those entitled to the private items get the private pack, once per issued version."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select, update

from tasks.app import create_app
from tests.agenda_pack_setup import SECRET, paper_pdf
from tests.helpers import AUTHOR, CLERK, CYCLE
from tests.integration.smtp import Received, SmtpServer
from tests.integration.test_documents import handled, to_risk_board_sign_off
from tests.integration.test_reminders import everything, mail_rows
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.commands import agenda as commands
from workflow.definition.entitlement import PRIVATE_SESSION
from workflow.settings import Settings
from workflow.store.models import Document, OutboxEvent

SEPTEMBER = dt.date(2021, 9, 8)  # Safer MK meets on the second Wednesday of September
UID = f"{CYCLE}.safer_mk_september@strategy-cycle"


def pdfs(received: Received) -> list[bytes]:
    return [part.get_payload(decode=True) for part in received.message.walk()
            if part.get_content_type() == "application/pdf"]


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def issued_event(app: App) -> int:
    with app.engine.sessions() as session:
        return session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "AgendaIssued")).one()


def no_error(app: App, event_id: int) -> None:
    """Fail at once, with the handler's error, rather than wait out the timeout."""
    with app.engine.sessions() as session:
        row = session.get(OutboxEvent, event_id)
        assert row is None or row.last_error is None, row.last_error


def no_mail_error(app: App) -> None:
    errors = {m.last_error for m in mail_rows(app) if m.kind == "agenda" and m.last_error}
    assert not errors, errors


def test_each_member_gets_the_pack_they_are_entitled_to_once(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    definition = shared.engine.catalog.load("community_safety_strategy")
    members = dict(definition.boards["safer_mk"].members)
    email = {person.id: person.email for person in definition.people.values()}
    entitled = {email[p] for p, kind in members.items() if kind in PRIVATE_SESSION}
    not_entitled = {email[p] for p, kind in members.items() if kind not in PRIVATE_SESSION}
    assert not_entitled, "Safer MK's advisors and observers sit in public session only"

    to_risk_board_sign_off(shared, tmp_path)  # the cycle now waits for Safer MK's September meeting
    (tmp_path / "report.pdf").write_bytes(paper_pdf("Strategic assessment for Safer MK", 2, "PRESENTED"))
    (tmp_path / "cases.pdf").write_bytes(paper_pdf("Case summaries", 2, SECRET))
    shared.engine.attach(CYCLE, "strategic_assessment", tmp_path / "cases.pdf", AUTHOR, exempt=2,
                         title=f"Case summaries {SECRET}")
    commands.issue(shared.engine, "safer_mk", SEPTEMBER, CLERK)
    event = issued_event(shared)

    # The workers read the papers where the officers attached them: the same data directory.
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_DATA_DIR=str(tmp_path))
    worker = Worker(env, tmp_path / "worker.log")

    def agenda_mail() -> list[Received]:
        return [r for r in smtp.received if "agenda pack" in r.header("Subject")]

    try:
        wait_until(lambda: handled(shared, event), "the issued agenda to be handled", 180,
                   check=lambda: (worker.check(), no_error(shared, event)))
        wait_until(lambda: len(agenda_mail()) >= len(members), "the packs to arrive", 90,
                   check=lambda: (worker.check(), no_mail_error(shared)))
        sent = len([m for m in mail_rows(shared) if m.kind == "agenda"])
        # The event delivered again, as after a worker died before marking it handled: nothing more is sent.
        with shared.engine.unit_of_work() as session:
            session.execute(update(OutboxEvent).where(OutboxEvent.id == event).values(handled_at=None))
        with create_app(Settings.from_env(env)) as sender:
            sender.send_task("cycle.handle_event", args=[event], queue=env["CYCLE_QUEUE"])
        wait_until(lambda: handled(shared, event), "the repeated event", 60, check=worker.check)
    finally:
        worker.stop()

    arrived = agenda_mail()
    assert sent == len(members) == len([m for m in mail_rows(shared) if m.kind == "agenda"])
    by_address = Counter(r.rcpt_tos[0] for r in arrived)
    assert set(by_address) == {email[p] for p in members} and set(by_address.values()) == {1}

    with shared.engine.sessions() as session:
        kept = {d.version: d for d in session.scalars(select(Document).where(Document.spec == "agenda_pack"))}
    assert set(kept) == {"public", "exempt"}
    for received in arrived:
        address = received.rcpt_tos[0]
        attached = pdfs(received)
        hashes = {hashlib.sha256(pdf).hexdigest() for pdf in attached}
        public_text = text_of(next(p for p in attached if hashlib.sha256(p).hexdigest() == kept["public"].pdf_sha256))
        assert "SAFER MK PARTNERSHIP" in public_text and "Exclusion of Public and Press" in public_text
        assert SECRET not in public_text
        assert f"UID:{UID}" in received.message.as_string().replace("\r\n ", "").replace("\n ", "")
        if address in entitled:
            assert hashes == {kept["public"].pdf_sha256, kept["exempt"].pdf_sha256}, address
            private = next(p for p in attached if hashlib.sha256(p).hexdigest() == kept["exempt"].pdf_sha256)
            assert SECRET in text_of(private) and "NOT FOR PUBLICATION" in text_of(private)
        else:
            assert hashes == {kept["public"].pdf_sha256}, address
            assert SECRET.encode() not in everything(received), address
