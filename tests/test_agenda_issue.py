"""The AgendaIssued handler, run in the test's process: one email per member per issued version, the private
pack only for those entitled, nothing more when the event comes again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from notifications.agenda_issue import AgendaPacks
from tests.agenda_pack_setup import SECRET, paper_pdf
from tests.agenda_setup import BOARD, JULY, agenda_definitions
from tests.conftest import SHIPPED, make_settings
from tests.helpers import AUTHOR, CLERK, CYCLE
from workflow.app import App, build
from workflow.commands import agenda as commands
from workflow.store.models import Document, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import SimulatedClock, at_local


@pytest.fixture
def issued_app(tmp_path: Path) -> Iterator[App]:
    """MK Together's July meeting with a report in PDF, a Word paper and an exempt annex."""
    settings = dataclasses.replace(make_settings(tmp_path), definitions_dir=agenda_definitions(tmp_path / "defs"))
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    app.engine.start(SHIPPED, 2021, AUTHOR)
    (tmp_path / "findings.pdf").write_bytes(paper_pdf("Early findings", 2, "FINDINGS"))
    (tmp_path / "plan.docx").write_bytes(b"PK\x03\x04 a Word file")
    (tmp_path / "annex.pdf").write_bytes(paper_pdf("Annex", 1, SECRET))
    app.engine.attach(CYCLE, "early_findings", tmp_path / "findings.pdf", AUTHOR)
    app.engine.attach(CYCLE, "early_findings", tmp_path / "plan.docx", AUTHOR, title="Engagement plan")
    app.engine.attach(CYCLE, "strategic_assessment", tmp_path / "annex.pdf", AUTHOR, exempt=2,
                      title=f"Annex {SECRET}")
    yield app
    app.close()


def handle_issues(app: App) -> None:
    packs = AgendaPacks(app.engine, app.documents())
    handlers = Handlers()
    handlers.on("AgendaIssued", "agenda_pack", packs.apply, prepare=packs.prepare)
    with app.engine.sessions() as session:
        events = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "AgendaIssued")).all()
    for event in events:
        handlers.handle(app.engine, event)


def agenda_mail(app: App) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).where(Mail.kind == "agenda").order_by(Mail.id)))


def test_each_issued_version_reaches_each_member_once(issued_app: App) -> None:
    definition = issued_app.engine.catalog.load(SHIPPED)
    members = {person for person, _ in definition.boards[BOARD].members}
    commands.issue(issued_app.engine, BOARD, JULY, CLERK)
    handle_issues(issued_app)
    first = agenda_mail(issued_app)
    assert {m.person for m in first} == members and len(first) == len(members)
    mail = first[0]
    assert mail.subject == "MK Together Management Board (July), Tuesday 13 July 2021: agenda pack"
    assert "UID:community_safety_strategy-2021.mk_together_july@strategy-cycle" in mail.attachments["invite"]
    assert "Engagement plan" in mail.text_body and len(mail.attachments["papers"]) == 1  # the Word paper
    assert SECRET not in mail.text_body + mail.html_body

    # The same event again (a redelivery): nothing more.
    with issued_app.engine.unit_of_work() as session:
        session.execute(update(OutboxEvent).values(handled_at=None))
    handle_issues(issued_app)
    assert len(agenda_mail(issued_app)) == len(members)

    # A change and a second issue: every member is sent the new version, once.
    commands.add_item(issued_app.engine, BOARD, JULY, CLERK, title="Thames Valley Police and Criminal Justice Plan",
                      purpose="For information", reissue=True)
    commands.issue(issued_app.engine, BOARD, JULY, CLERK)
    handle_issues(issued_app)
    sent = agenda_mail(issued_app)
    assert Counter(m.person for m in sent) == {person: 2 for person in members}
    assert sum("(issue 2)" in m.subject for m in sent) == len(members)
    with issued_app.engine.sessions() as session:
        versions = Counter(d.version for d in session.scalars(select(Document).where(Document.spec == "agenda_pack")))
    assert versions == {"public": 2, "exempt": 2}
