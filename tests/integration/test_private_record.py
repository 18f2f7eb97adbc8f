"""A sign-off record of an item considered wholly in private: its public version says so, never the resolution.

When every paper the Risk Board considers is exempt (Schedule 12A), the public version of its record, in
every format, and every email sending a record, name the item, the paragraph and that it was decided in
private; only the exempt version, for those entitled, carries the resolution and what members declared.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from notifications.documents import Documents
from tests.helpers import AUTHOR, CLERK, CYCLE, meet, paper_file
from tests.integration.test_documents import (
    MARKER,
    docx_text,
    gate_event,
    html_text,
    pdf_text,
    risk_board_signs_off,
    rows,
)
from workflow.app import App
from workflow.store.models import Mail
from workflow.store.outbox import Handlers
from workflow.store.paper_store import PaperStore

RESOLUTION = "That the annual strategic assessment be signed off."
INTEREST = "manages two named cases"
PRIVATE = ("This item was considered in private (Schedule 12A, paragraph 7: Information relating to any action "
           "taken or to be taken in connection with the prevention, investigation or prosecution of crime): the "
           "resolution is in the exempt version of this record.")
READERS = {"html": html_text, "pdf": pdf_text, "docx": docx_text}


def flat(text: str) -> str:
    return " ".join(text.split())


def private_sign_off(app: App, folder: Path) -> Documents:
    """The Risk Board signs off an assessment attached only as an exempt paper, and its records are made."""
    engine = app.engine
    engine.start("community_safety_strategy", 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(folder, "ef"), AUTHOR)
    meet(app, "mk_together", "early_findings")
    engine.decide(CYCLE, "mk_together", "early_findings", CLERK,
                  votes_for=["director_policy", "police_area_commander", "ccg_chief_operating_officer"])
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    engine.attach(CYCLE, "strategic_assessment", paper_file(folder, "sa", f"Named offenders: {MARKER}\n"), AUTHOR,
                  exempt=7, title=f"Strategic assessment: {MARKER} cases")
    risk_board_signs_off(app)
    documents = Documents(app.engine, PaperStore(folder / "documents"))
    handlers = Handlers()
    handlers.on("GatePassed", "documents", lambda s, e, now: documents.generate(s, e, now))
    handlers.handle(app.engine, gate_event(app, "sign_off_assessment"))
    return documents


def test_the_public_record_of_a_wholly_exempt_item_says_it_was_private_and_not_the_resolution(
    pg_app: App, tmp_path: Path
) -> None:
    documents = private_sign_off(pg_app, tmp_path)
    august = {d.version: d for d in rows(pg_app) if d.spec == "sign_off_record" and d.stage == "assessment_sign_off"}
    assert set(august) == {"public", "exempt"}
    for fmt, read in READERS.items():
        public = flat(read(documents.content(august["public"], fmt)))
        exempt = flat(read(documents.content(august["exempt"], fmt)))
        assert RESOLUTION not in public and "RESOLVED" not in public, fmt
        assert PRIVATE in public, fmt
        assert "Risk Board signs off the strategic assessment" in public, f"{fmt}: the item's public title"
        assert MARKER not in public and INTEREST not in public, f"{fmt}: no paper title, no declared interest"
        assert "3 for, 1 against, 0 abstaining" in public, f"{fmt}: the vote, which restates nothing"
        assert RESOLUTION.encode() not in documents.content(august["public"], fmt), f"{fmt}: not even in the markup"
        # The exempt version is as it always was.
        assert f"RESOLVED – {RESOLUTION}" in exempt and INTEREST in exempt and MARKER in exempt, fmt
        assert PRIVATE not in exempt, fmt
    with pg_app.engine.sessions() as session:
        mails = list(session.scalars(select(Mail).where(Mail.kind == "document")))
    sent = {m.attachments["documents"][0]["id"] for m in mails}
    assert {august["public"].id, august["exempt"].id} <= sent, "both versions were sent"
    for mail in mails:
        body = mail.subject + mail.text_body + mail.html_body
        assert RESOLUTION not in body and MARKER not in body and INTEREST not in body, mail.person
