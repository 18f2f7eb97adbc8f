"""Exempt papers at three boards, through a real worker process to a real SMTP server: who received what.

Each exempt paper carries a marker in its title, another in its file and another in its
attach comment; the test follows them into every email the SMTP server received and into
the sign-off records, and then reads them back through the CLI as people who may and may
not see them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select

from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CYCLE, carry, counts, paper_file
from tests.integration.smtp import SmtpServer
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.errors import InvalidInput
from workflow.store.models import Deadline, Document, Mail, OutboxEvent
from workflow.time.clock import at_local

MK_TOGETHER_REMINDED = {"council_chief_executive", "director_childrens_services", "director_policy",
                        "police_area_commander", "ccg_chief_operating_officer", "deputy_director_public_health",
                        "head_of_partnerships"}
RISK_BOARD_REMINDED = {"police_area_commander", "head_of_partnerships", "fire_group_commander", "probation_manager",
                       "deputy_director_public_health", "head_of_youth_and_community"}
SAFER_MK_REMINDED = {"council_chief_executive", "ccg_chief_operating_officer", "police_area_commander",
                     "fire_group_commander", "probation_manager", "crc_head_of_operations", "cabinet_member",
                     "head_of_partnerships"}
# A paper attached before the board meets is also sent at once ("papers published") to each member of that
# board entitled to it: its officers too, who are not reminded.
MK_TOGETHER_SENT = MK_TOGETHER_REMINDED | {"committee_manager"}
RISK_BOARD_SENT = RISK_BOARD_REMINDED | {"community_safety_manager", "committee_manager"}
SAFER_MK_SENT = SAFER_MK_REMINDED | {"director_policy", "director_childrens_services", "head_of_youth_and_community",
                                     "committee_manager"}
SAFER_MK_ALL = SAFER_MK_SENT | {"rural_parish_representative", "urban_parish_representative",
                                "deputy_director_public_health", "pcc_policy_adviser", "vcse_representative",
                                "observer_councillor_a", "observer_councillor_b", "police_crime_panel_representative",
                                "safeguarding_scrutineer"}
# The record of each board's step goes to the board that met and to the next board; its exempt version only to
# those of them who sit in private session on the board that considered the papers (or own the stage): so every
# voting member, chair and officer of the board that met, and nobody the next board adds.
MK_RECORD_EXEMPT = {"council_chief_executive", "director_childrens_services", "director_policy",
                    "police_area_commander", "ccg_chief_operating_officer", "deputy_director_public_health",
                    "head_of_partnerships", "committee_manager"}
RISK_RECORD_EXEMPT = {"police_area_commander", "fire_group_commander", "probation_manager",
                      "deputy_director_public_health", "head_of_youth_and_community", "committee_manager",
                      "head_of_partnerships", "community_safety_manager"}
SAFER_RECORD_EXEMPT = {"council_chief_executive", "ccg_chief_operating_officer", "police_area_commander",
                       "fire_group_commander", "probation_manager", "crc_head_of_operations", "cabinet_member",
                       "director_policy", "director_childrens_services", "head_of_partnerships",
                       "head_of_youth_and_community", "committee_manager"}

# marker -> (stage, paper id, who is sent it, who receives the exempt record naming it)
# A paper is sent to the board of the stage it was attached for, and to the board of each later stage that names
# it when the cycle reaches that stage (the latest copy of each kind): each time only to that board's private
# session. The exempt record of a step names only the papers attached for that step.
EXEMPT = {
    "ALPHA": ("early_findings", "early_findings", MK_TOGETHER_SENT, MK_RECORD_EXEMPT),
    # Attached for MK Together under a paper id the Risk Board's gate names: the Risk Board decides on it too,
    # and is sent it when the cycle reaches its stage. By Safer MK's stage BRAVO is the latest exempt copy.
    "CHARLIE": ("early_findings", "strategic_assessment", MK_TOGETHER_SENT | RISK_BOARD_SENT, MK_RECORD_EXEMPT),
    # An exempt annex under the same paper id as the Risk Board's public paper: both are sent, and both go on
    # to Safer MK, which decides on the strategic assessment in September.
    "BRAVO": ("assessment_sign_off", "strategic_assessment", RISK_BOARD_SENT | SAFER_MK_SENT, RISK_RECORD_EXEMPT),
    # Safer MK's paper, which the Risk Board's priorities gate names: sent on to the Risk Board in September.
    "DELTA": ("assessment_presented", "recommended_priorities", SAFER_MK_SENT | RISK_BOARD_SENT,
              SAFER_RECORD_EXEMPT),
}
PUBLIC_SA = "PUBLIC-SA-FILE-5e1"


def decoded(message: object) -> str:
    """Everything a reader of the email could see: headers, text and every attachment's bytes decoded."""
    parts = [message.as_string()]  # type: ignore[attr-defined]
    for part in message.walk():  # type: ignore[attr-defined]
        if part.get("Content-Transfer-Encoding") == "base64":
            parts.append(base64.b64decode(part.get_payload()).decode("utf-8", "replace"))
    return "\n".join(parts)


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def settled(app: App) -> bool:
    """Every event handled and nothing due left pending: the workers have caught up with the clock."""
    now = app.engine.clock.now()
    with app.engine.sessions() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None)))
        due = session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == "pending",
                                                                              Deadline.due_at <= now))
    return events == 0 and due == 0


def run_three_boards(app: App, tmp_path: Path, worker: Worker) -> None:
    engine = app.engine

    def at(day: dt.date, hour: int = 10) -> None:
        engine.clock.set(at_local(day, hour))  # type: ignore[attr-defined]
        wait_until(lambda: settled(app), f"the workers to catch up with {day}", 90, check=worker.check)

    def exempt(marker: str) -> None:
        _, paper, _, _ = EXEMPT[marker]
        engine.attach(CYCLE, paper, paper_file(tmp_path, marker, f"{marker}-FILE contents\n"), AUTHOR, exempt=1,
                      title=f"{marker}-TITLE annex", comment=f"{marker}-NOTE said in private session")

    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef", "Early findings.\n"), AUTHOR)
    exempt("ALPHA")
    exempt("CHARLIE")
    at(dt.date(2021, 7, 8))  # three working days before MK Together meets on 13 July
    carry(app, "mk_together", "early_findings")
    at(dt.date(2021, 7, 13), 18)
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa", f"{PUBLIC_SA}\n"), AUTHOR)
    exempt("BRAVO")
    at(dt.date(2021, 8, 16))  # the Risk Board meets on 19 August
    carry(app, "risk_board", "strategic_assessment")
    at(dt.date(2021, 8, 19), 18)
    engine.fire(CYCLE, "sign_off_assessment", AUTHOR)
    exempt("DELTA")
    at(dt.date(2021, 9, 8))  # Safer MK meets on 8 September
    carry(app, "safer_mk", "strategic_assessment")
    engine.fire(CYCLE, "present_assessment", AUTHOR)
    at(dt.date(2021, 9, 8), 11)


def test_exempt_papers_at_three_boards_reach_exactly_the_people_entitled(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_DATA_DIR=str(tmp_path))
    worker = Worker(env, tmp_path / "worker.log")
    try:
        run_three_boards(shared, tmp_path, worker)

        def delivered() -> bool:
            with shared.engine.sessions() as session:
                rows = list(session.scalars(select(Mail.status)))
            return len(smtp.received) == len(rows) and all(status == "sent" for status in rows)

        wait_until(delivered, "every email to arrive", 120, check=worker.check)
    finally:
        worker.stop()
    with shared.engine.sessions() as session:
        person_of = {m.message_id: m.person for m in session.scalars(select(Mail))}
        documents = {d.id: d for d in session.scalars(select(Document))}
    received = [(person_of[r.header("Message-ID")], r.message, decoded(r.message)) for r in smtp.received]

    def who(text: str) -> set[str]:
        return {person for person, _, seen in received if text in seen}

    for marker, (_, _, reminded, _) in EXEMPT.items():
        assert who(f"{marker}-TITLE") == reminded, f"{marker}'s title"
        assert who(f"{marker}-FILE") == reminded, f"{marker}'s file"
        assert not who(f"{marker}-NOTE"), f"{marker}'s attach comment is in no email"
    assert who(PUBLIC_SA) == RISK_BOARD_SENT | SAFER_MK_ALL, \
        "the public paper kept beside the exempt annex of the same id, sent on to every member of Safer MK"
    assert all("BRAVO-FILE" in seen for _, message, seen in received
               if PUBLIC_SA in seen and not str(message["Subject"]).startswith("Paper published")), \
        "a reminder carries both"

    # The sign-off records: one exempt version per step, naming only that step's exempt papers and comments.
    exempt_to: dict[int, set[str]] = {}
    exempt_text: dict[int, str] = {}
    for person, message, _ in received:
        for part in message.walk():
            name = part.get_filename() or ""
            found = re.fullmatch(r"sign_off_record-(public|exempt)-(\d+)\.pdf", name)
            if found:
                text = pdf_text(part.get_payload(decode=True))
                if found.group(1) == "public":
                    assert not re.search(r"(ALPHA|BRAVO|CHARLIE|DELTA)-(TITLE|NOTE)", text), f"public record {name}"
                    # Its history runs to the step it records: the annex attached for the next board just after
                    # the step, in the same minute, is not in it.
                    before = {"early_findings": 2, "assessment_sign_off": 3, "assessment_presented": 4}
                    assert text.count("attached an exempt paper") == before[documents[int(found.group(2))].stage]
                else:
                    exempt_to.setdefault(int(found.group(2)), set()).add(person)
                    exempt_text[int(found.group(2))] = text
    by_stage = {documents[i].stage: (people, exempt_text[i]) for i, people in exempt_to.items()}
    assert set(by_stage) == {"early_findings", "assessment_sign_off", "assessment_presented"}
    for marker, (stage, _, _, record) in EXEMPT.items():
        assert by_stage[stage][0] == record, f"who received the exempt record naming {marker}"
        for other, (elsewhere, *_) in EXEMPT.items():
            named = f"{other}-TITLE" in by_stage[stage][1] and f"{other}-NOTE" in by_stage[stage][1]
            assert named == (elsewhere == stage), f"the exempt record of {stage} and {other}"

    check_reads(shared, tmp_path, pg_url, documents)


def check_reads(app: App, tmp_path: Path, pg_url: str, documents: dict[int, Document]) -> None:
    """The CLI shows what was sent only to those it was for."""
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": pg_url, "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}

    def cycle(*args: str) -> object:
        return CliRunner().invoke(main, list(args), env=env)

    with app.engine.sessions() as session:
        bravo = next(m for m in session.scalars(select(Mail).where(Mail.kind == "reminder").order_by(Mail.id))
                     if "BRAVO-TITLE" in m.text_body)
    shown = cycle("mail", "show", str(bravo.id), "--as", "committee_manager")  # the Risk Board's officer
    assert shown.exit_code == 0 and "BRAVO-TITLE" in shown.stdout  # type: ignore[attr-defined]
    for reader in (["--as", "scrutiny_officer"], ["--as", "rural_parish_representative"], []):
        withheld = cycle("mail", "show", str(bravo.id), *reader)
        assert withheld.exit_code == 0 and "BRAVO" not in withheld.output  # type: ignore[attr-defined]
        assert "carries exempt information" in withheld.stderr  # type: ignore[attr-defined]
    listed = cycle("mail", "list", CYCLE, "--as", "director_policy", "--json")
    rows = json.loads(listed.stdout)  # type: ignore[attr-defined]
    own = [r for r in rows if r["person"] == "director_policy"]
    assert own and not any(r["withheld"] for r in own), "the emails sent to them, ALPHA's among them"
    # An officer of Safer MK too, but not on the Risk Board: Safer MK decides on the strategic assessment, so the
    # Risk Board's annex is theirs to read; only the emails carrying the Risk Board's exempt record are withheld.
    assert {r["person"] for r in rows if r["withheld"]} == RISK_RECORD_EXEMPT

    risk_exempt = next(d for d in documents.values() if d.stage == "assessment_sign_off" and d.version == "exempt")
    public = next(d for d in documents.values() if d.event_id == risk_exempt.event_id and d.version == "public")
    target = tmp_path / "record.pdf"
    got = cycle("documents", "export", str(risk_exempt.id), "--out", str(target), "--as", "director_policy")
    assert got.exit_code == 0, got.output  # type: ignore[attr-defined]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == public.pdf_sha256, "the public version instead"
    assert f"its public version, document {public.id}, is used instead" in got.stderr  # type: ignore[attr-defined]
    got = cycle("documents", "export", str(risk_exempt.id), "--out", str(target), "--as", "fire_group_commander")
    assert got.exit_code == 0 and hashlib.sha256(target.read_bytes()).hexdigest() == risk_exempt.pdf_sha256
    status = cycle("status", CYCLE, "--as", "fire_group_commander").output  # type: ignore[attr-defined]
    # Voting on the Risk Board and on Safer MK, not on MK Together: MK Together's own paper is withheld, not the
    # one it was attached for under the paper id the Risk Board decides on.
    assert "BRAVO-TITLE" in status and "DELTA-TITLE" in status and "CHARLIE-TITLE" in status
    assert "ALPHA-TITLE" not in status and "1 exempt paper withheld" in status

    missing = cycle("documents", "export", str(public.id), "--out", str(tmp_path / "no" / "such" / "r.pdf"))
    assert missing.exit_code == 1 and "the folder" in missing.stderr and "does not exist" in missing.stderr  # type: ignore[attr-defined]
    (tmp_path / "documents" / public.docx_sha256[:2] / public.docx_sha256).unlink()
    gone = cycle("documents", "export", str(public.id), "--format", "docx", "--out", str(tmp_path / "r.docx"))
    assert gone.exit_code == 1 and f"the stored docx file of document {public.id} is missing" in gone.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in missing.output + gone.output and not (tmp_path / "r.docx").exists()  # type: ignore[attr-defined]


def test_a_title_over_the_column_limit_is_refused_on_postgres(pg_app: App, tmp_path: Path) -> None:
    pg_app.engine.start(SHIPPED, 2021, AUTHOR)
    before = counts(pg_app)
    with pytest.raises(InvalidInput, match="a paper's title is one line of 1 to 300 characters; this one has 400"):
        pg_app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR, title="T" * 400)
    assert counts(pg_app) == before
