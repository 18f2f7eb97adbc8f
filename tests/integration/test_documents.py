"""Sign-off documents made by the workers when a gate passes: content, formats, exempt papers, integrity."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, update

from notifications.documents import Documents
from tasks.app import create_app
from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED, SHIPPED_VERSION, make_settings, scratch_database
from tests.helpers import AUTHOR, CLERK, CYCLE, meet, paper_file
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App, build
from workflow.settings import Settings
from workflow.store.models import Cycle, Document, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.store.paper_store import PaperStore
from workflow.time.clock import SimulatedClock, at_local

MARKER = "KESTREL-41c9"
VOTERS = ["head_of_partnerships", "fire_group_commander", "probation_manager", "deputy_director_public_health"]


def html_text(content: bytes) -> str:
    """What a reader of the HTML sees: the text, without tags or entities."""
    return html.unescape(re.sub(r"<[^>]+>", "", content.decode("utf-8")))


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def to_risk_board_sign_off(app: App, tmp_path: Path) -> dict[str, str]:
    """Walk to the Risk Board's sign-off with an exempt annex among the papers, and pass the gate."""
    hashes = to_risk_board_papers(app, tmp_path)
    risk_board_signs_off(app)
    return hashes


def to_risk_board_papers(app: App, tmp_path: Path) -> dict[str, str]:
    """MK Together meets in July; the Risk Board's papers, an exempt annex among them, attached before it meets."""
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    meet(app, "mk_together", "early_findings")  # each decision on the day its board meets
    engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=["director_policy", "police_area_commander",
                                                                            "ccg_chief_operating_officer"])
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    public = engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa", "The assessment.\n"), AUTHOR)
    annex = engine.attach(CYCLE, "strategic_assessment",
                          paper_file(tmp_path, "annex", f"Named offenders: {MARKER}\n"), AUTHOR, exempt=1,
                          title=f"Annex B: {MARKER} case list")
    return {"public": public.sha256, "annex": annex.sha256}


def risk_board_signs_off(app: App) -> None:
    """On the day of its August meeting the Risk Board signs the assessment off, and the gate is passed."""
    engine = app.engine
    meet(app, "risk_board", "strategic_assessment")
    engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK, votes_for=VOTERS[:3],
                  votes_against=VOTERS[3:], apologies=["head_of_youth_and_community"],
                  present=["police_area_commander"], interests={"probation_manager": "manages two named cases"},
                  resolution="That the annual strategic assessment be signed off.")
    engine.fire(CYCLE, "sign_off_assessment", AUTHOR)


def handled(app: App, event_id: int) -> bool:
    with app.engine.sessions() as session:
        event = session.get(OutboxEvent, event_id)
        return event is not None and event.handled_at is not None


def gate_event(app: App, trigger: str) -> int:
    with app.engine.sessions() as session:
        return next(e.id for e in session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "GatePassed"))
                    if e.payload["trigger"] == trigger)


@pytest.fixture
def made(pg_app: App, tmp_path: Path) -> Iterator[tuple[App, Documents, dict[str, str]]]:
    yield record_sign_off(pg_app, tmp_path)


def record_sign_off(app: App, folder: Path) -> tuple[App, Documents, dict[str, str]]:
    """Pass the Risk Board's gate and make its records, as the workers' handler would."""
    hashes = to_risk_board_sign_off(app, folder)
    documents = Documents(app.engine, PaperStore(folder / "documents"))
    handlers = Handlers()
    handlers.on("GatePassed", "documents", lambda s, e, now: documents.generate(s, e, now))
    handlers.handle(app.engine, gate_event(app, "sign_off_assessment"))
    return app, documents, hashes


@pytest.fixture(scope="module")
def made_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, Documents, dict[str, str]]]:
    """The same records as `made`, rendered once for the tests that only read them (WeasyPrint takes seconds).

    On a database of the module's own, which other tests' emptying of the run's database leaves alone.
    """
    from workflow.store import db

    folder = tmp_path_factory.mktemp("records")
    with scratch_database("records") as url:
        engine = db.make_engine(url)
        db.upgrade(engine)
        db.mark_rehearsal(engine)
        engine.dispose()
        app = build(make_settings(folder, url), clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
        try:
            yield record_sign_off(app, folder)
        finally:
            app.close()


def rows(app: App) -> list[Document]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Document).order_by(Document.id)))


def test_the_record_in_every_format_carries_the_decision_votes_and_hashes(made_once) -> None:  # type: ignore[no-untyped-def]
    app, documents, hashes = made_once
    public = next(d for d in rows(app) if d.version == "public")
    texts = {"html": html_text(documents.content(public, "html")), "pdf": pdf_text(documents.content(public, "pdf")),
             "docx": docx_text(documents.content(public, "docx"))}
    for fmt, text in texts.items():
        flat = " ".join(text.split())
        assert "RESOLVED – That the annual strategic assessment be signed off." in flat, fmt
        assert "Group Commander (Buckinghamshire Fire and Rescue Service)" in flat, fmt
        assert "3 for, 1 against, 0 abstaining" in flat, fmt
        assert "Head of Youth and Community" in flat, f"{fmt}: apologies"
        assert "manages two named cases" in flat, f"{fmt}: declarations of interest"
        assert hashes["public"] in text.replace("\n", ""), f"{fmt}: the paper's SHA-256"
        assert "Decision record" in flat and "FOR DECISION" not in flat and "Report author" in flat, fmt
    for fmt in ("html", "pdf", "docx"):
        content = documents.content(public, fmt)
        assert hashlib.sha256(content).hexdigest() == getattr(public, f"{fmt}_sha256")
    assert public.definition_version == SHIPPED_VERSION and public.template == "sign_off_record.html.j2"


def test_an_exempt_paper_reaches_only_the_exempt_version(made_once) -> None:  # type: ignore[no-untyped-def]
    app, documents, hashes = made_once
    versions = {d.version: d for d in rows(app)}
    assert set(versions) == {"public", "exempt"}
    for fmt in ("html", "pdf", "docx"):
        public = documents.content(versions["public"], fmt)
        exempt = documents.content(versions["exempt"], fmt)
        read = {"html": html_text, "pdf": pdf_text, "docx": docx_text}[fmt]
        assert MARKER not in read(public) and hashes["annex"] not in read(public).replace("\n", ""), fmt
        assert MARKER.encode() not in public, f"{fmt}: not even in the file's markup or metadata"
        assert MARKER in read(exempt), fmt
    assert "1 further paper was considered in private session" in documents.content(versions["public"], "html").decode()
    with app.engine.sessions() as session:
        mails = list(session.scalars(select(Mail).where(Mail.kind == "document")))
    exempt_to = {m.person for m in mails if m.attachments["documents"][0]["id"] == versions["exempt"].id}
    public_to = {m.person for m in mails if m.attachments["documents"][0]["id"] == versions["public"].id}
    assert "fire_group_commander" in exempt_to, "a Risk Board voting member who sits on Safer MK"
    assert "safeguarding_scrutineer" in public_to and "safeguarding_scrutineer" not in exempt_to
    assert all(MARKER not in m.subject + m.text_body for m in mails)


def test_a_regenerated_document_is_byte_identical(made_once) -> None:  # type: ignore[no-untyped-def]
    app, documents, _ = made_once
    public = next(d for d in rows(app) if d.version == "public")
    event_id = gate_event(app, "sign_off_assessment")
    with app.engine.sessions() as session:
        event = session.get(OutboxEvent, event_id)
        assert event is not None
        cycle = session.get(Cycle, event.cycle_id)
        assert cycle is not None
        definition = app.engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        spec = definition.documents["sign_off_record"]
        ctx = documents.context(session, cycle, definition, spec, event.payload, event.created_at, exempt=False)
    again = documents.render(definition, spec, ctx, event.created_at)
    assert hashlib.sha256(again.html).hexdigest() == public.html_sha256
    assert hashlib.sha256(again.pdf).hexdigest() == public.pdf_sha256
    assert hashlib.sha256(again.docx).hexdigest() == public.docx_sha256, "Word files carry no time of writing"


def test_the_same_gate_event_twice_makes_one_document(made) -> None:  # type: ignore[no-untyped-def]
    app, documents, _ = made
    before = [(d.id, d.html_sha256) for d in rows(app)]
    event_id = gate_event(app, "sign_off_assessment")
    with app.engine.unit_of_work() as session:
        event = session.get(OutboxEvent, event_id)
        assert event is not None
        documents.generate(session, event, app.engine.clock.now())  # the handler run again, effect key aside
    assert [(d.id, d.html_sha256) for d in rows(app)] == before


def test_workers_make_the_documents_once_even_when_the_event_comes_twice(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path
) -> None:
    env = worker_env(pg_url, machine_redis, tmp_path)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        to_risk_board_sign_off(shared, tmp_path)
        wait_until(lambda: len(rows(shared)) == 3, "the documents of both gates", 90, check=worker.check)
        event_id = gate_event(shared, "sign_off_assessment")
        # As if the first delivery had done its work but died before marking the event handled.
        with shared.engine.unit_of_work() as session:
            session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(handled_at=None))
        with create_app(Settings.from_env(env)) as sender:
            for _ in range(2):
                sender.send_task("cycle.handle_event", args=[event_id], queue=env["CYCLE_QUEUE"])
        wait_until(lambda: handled(shared, event_id), "the repeated event to be handled", 60, check=worker.check)
    finally:
        worker.stop()
    made = rows(shared)
    assert sorted((d.stage, d.version) for d in made) == [
        ("assessment_sign_off", "exempt"), ("assessment_sign_off", "public"), ("early_findings", "public")]
    store = PaperStore(Path(env["CYCLE_DATA_DIR"]) / "documents")
    assert all(store.path_for(d.pdf_sha256).exists() for d in made)


def test_documents_commands_list_export_and_verify(made, tmp_path: Path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    _, documents, _ = made
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": pg_url, "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    runner = CliRunner()
    listed = runner.invoke(main, ["documents", "list", CYCLE, "--json"], env=env)
    assert listed.exit_code == 0, listed.output

    first = json.loads(listed.output)[0]
    out = tmp_path / "record.pdf"
    exported = runner.invoke(main, ["documents", "export", str(first["id"]), "--format", "pdf", "--out", str(out)],
                             env=env)
    assert exported.exit_code == 0, exported.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() == first["pdf_sha256"]
    assert runner.invoke(main, ["documents", "verify"], env=env).exit_code == 0
    tampered = documents.store.path_for(first["html_sha256"])
    tampered.write_bytes(tampered.read_bytes().replace(b"signed off", b"rejected"))
    checked = runner.invoke(main, ["documents", "verify"], env=env)
    assert checked.exit_code == 1
    assert f"document {first['id']}" in checked.output and "html" in checked.output


def test_the_pdf_is_tagged_in_english_and_stays_inside_the_page(made_once) -> None:  # type: ignore[no-untyped-def]
    app, documents, _ = made_once
    public = next(d for d in rows(app) if d.version == "public")
    reader = PdfReader(io.BytesIO(documents.content(public, "pdf")))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog, "tagged for screen readers"
    assert str(catalog["/Lang"]).lower().startswith("en"), "the document language is set"
    assert catalog["/MarkInfo"]["/Marked"]
    text = " ".join(pdf_text(documents.content(public, "pdf")).split())
    for expected in ("Decision record", "Chair: Supt Gareth Lewis", "Reasons for the decision",
                     "Alternatives considered", "Implications", "Contact officer", "Background papers",
                     f"community_safety_strategy, version {SHIPPED_VERSION}", "(UK time)"):
        assert expected in text, expected
    overflow: list[str] = []
    for page in reader.pages:
        width = float(page.mediabox.width)

        def visit(run: str, cm: list[float], tm: list[float], font: object, size: float, width: float = width) -> None:
            start = tm[4] * cm[0] + cm[4]
            # 0.45 em a character is less than any glyph of DejaVu Sans averages: an honest lower bound.
            if run.strip() and start + len(run.strip()) * size * cm[0] * 0.45 > width:
                overflow.append(run)

        page.extract_text(visitor_text=visit)
    assert overflow == [], "text runs past the right edge of the page"


def test_the_word_file_is_a4_with_bordered_captioned_tables_a_header_and_page_numbers(made_once) -> None:  # type: ignore[no-untyped-def]
    app, documents, _ = made_once
    public = next(d for d in rows(app) if d.version == "public")
    document = docx.Document(io.BytesIO(documents.content(public, "docx")))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert document.tables, "the record has tables"
    for table in document.tables:
        borders = table._tbl.tblPr.find(docx.oxml.ns.qn("w:tblBorders"))
        assert borders is not None and borders.find(docx.oxml.ns.qn("w:insideH")) is not None
        caption = table._tbl.getprevious()
        assert caption is not None and caption.tag == docx.oxml.ns.qn("w:p")
        assert docx.text.paragraph.Paragraph(caption, document).style.name == "Caption"
    assert section.header.paragraphs[0].text == "Risk Board, Thursday 19 August 2021"
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer, "page numbers in the footer"


def test_a_document_row_changed_with_its_file_is_still_found(made, tmp_path: Path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """The row cannot be changed without switching the triggers off; if its owner does, the chain still knows."""
    from sqlalchemy import text

    app, documents, _ = made
    public = next(d for d in rows(app) if d.version == "public")
    forged = documents.store.put(documents.content(public, "html").replace(b"signed off", b"rejected"))
    with app.database.begin() as connection:
        connection.execute(text("ALTER TABLE documents DISABLE TRIGGER documents_append_only"))
        connection.execute(text("UPDATE documents SET html_sha256 = :forged WHERE id = :id"),
                           {"forged": forged, "id": public.id})
        connection.execute(text("ALTER TABLE documents ENABLE TRIGGER documents_append_only"))
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": pg_url, "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    checked = CliRunner().invoke(main, ["documents", "verify"], env=env)
    assert checked.exit_code == 1
    assert (f"document {public.id} ({public.title}), record: its row no longer matches the SHA-256s its history "
            "row recorded") in " ".join(checked.output.split())
    assert CliRunner().invoke(main, ["history", "verify"], env=env).exit_code == 0, "the anchor itself is intact"
