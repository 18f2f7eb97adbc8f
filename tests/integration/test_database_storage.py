"""Workers on two machines with no shared folder: papers and documents kept in PostgreSQL (CYCLE_STORAGE=database).

Each process has its own data directory, as each machine would: the officer's command line attaches
papers, two real worker processes (PostgreSQL, Redis, SMTP) publish them, render the sign-off records
and email both; every byte sent comes out of the database, and no data directory holds a paper.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from tasks.cli import main
from tests.conftest import DEFINITIONS, make_settings
from tests.integration.smtp import SmtpServer
from tests.integration.test_documents import (
    gate_event,
    handled,
    risk_board_signs_off,
    rows,
    to_risk_board_papers,
)
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App, build
from workflow.store.models import Mail, OutboxEvent, Paper, StoredChunk
from workflow.store.paper_store import StoredFileAltered
from workflow.store.stored_files import DatabaseStore
from workflow.time.clock import at_local


@pytest.fixture
def officer(pg_app: App, pg_url: str, tmp_path: Path) -> Iterator[App]:
    """The officer's machine: its own data directory, papers kept in the database, the workers' shared clock."""
    (tmp_path / "officer").mkdir()
    settings = dataclasses.replace(make_settings(tmp_path / "officer", pg_url), shared_clock=True, storage="database")
    app = build(settings)
    app.engine.clock.set(at_local(dt.date(2021, 7, 1), 9))  # type: ignore[attr-defined]
    yield app
    app.close()


def stored_under(folder: Path) -> list[Path]:
    return [p for sub in ("papers", "documents") for p in (folder / sub).rglob("*") if p.is_file()]


def test_two_machines_attach_render_and_email_with_no_shared_folder(
    officer: App, pg_url: str, machine_redis: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    base = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_STORAGE="database")
    workers = [Worker({**base, "CYCLE_DATA_DIR": str(m)}, tmp_path / f"{m.name}.log", beat=i == 0, name=m.name)
               for i, m in enumerate(machines)]

    def check() -> None:
        for worker in workers:
            worker.check()

    def all_sent(kind: str) -> bool:
        with officer.engine.sessions() as session:
            mail = list(session.scalars(select(Mail).where(Mail.kind == kind)))
        return bool(mail) and all(m.status == "sent" for m in mail)

    def papers_published() -> bool:
        with officer.engine.sessions() as session:
            attached = list(session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "PaperAttached")))
        return all(e.handled_at is not None for e in attached) and all_sent("papers")

    try:
        (tmp_path / "desk").mkdir()
        # The papers go to the Risk Board's members while it has still to meet; it decides on the day it meets.
        hashes = to_risk_board_papers(officer, tmp_path / "desk")
        wait_until(papers_published, "the papers to be emailed", 120, check=check)
        risk_board_signs_off(officer)
        wait_until(lambda: handled(officer, gate_event(officer, "sign_off_assessment")), "the August record", 120,
                   check=check)
        wait_until(lambda: all_sent("document"), "every record to be sent", 120, check=check)
    finally:
        for worker in workers:
            worker.stop()

    for folder in [tmp_path / "officer", *machines]:
        assert stored_under(folder) == [], f"{folder} holds stored files: storage should be the database"

    # The papers the boards received are the bytes the officer attached, read back from the database.
    with officer.engine.sessions() as session:
        papers = {p.sha256: p for p in session.scalars(select(Paper))}
    assert hashes["public"] in papers
    sent_papers = [part.get_payload(decode=True) for r in smtp.received for part in r.message.walk()
                   if part.get_filename() in {p.filename for p in papers.values()}]
    assert sent_papers, "the papers were emailed to the board"
    sent_hashes = {hashlib.sha256(content).hexdigest() for content in sent_papers}
    assert hashes["public"] in sent_hashes, "the Risk Board's paper reached its members before the meeting"
    assert sent_hashes <= set(papers)

    # Every record was rendered by a worker into the database and mailed from there, byte for byte.
    made = rows(officer)
    assert len(made) == 3
    store = officer.documents()
    assert isinstance(store, DatabaseStore)
    for document in made:
        for fmt in ("pdf", "html", "docx"):
            assert store.check(getattr(document, f"{fmt}_sha256")) is None
    pdfs = {hashlib.sha256(part.get_payload(decode=True)).hexdigest() for r in smtp.received
            for part in r.message.walk() if part.get_content_type() == "application/pdf"}
    assert pdfs and pdfs <= {d.pdf_sha256 for d in made}

    # A third machine exports a record and verifies the lot from the database alone.
    env = {"CYCLE_DATA_DIR": str(tmp_path / "machine-c"), "CYCLE_DATABASE_URL": pg_url,
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_STORAGE": "database"}
    out = tmp_path / "record.pdf"
    runner = CliRunner()
    exported = runner.invoke(main, ["documents", "export", str(made[0].id), "--format", "pdf", "--out", str(out)],
                             env=env)
    assert exported.exit_code == 0, exported.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() == made[0].pdf_sha256
    assert runner.invoke(main, ["documents", "verify"], env=env).exit_code == 0

    # A chunk changed in the table is caught: verify says which record, and nothing altered is ever sent.
    with officer.database.begin() as connection:
        connection.execute(update(StoredChunk).where(StoredChunk.sha256 == made[0].html_sha256)
                           .values(data=b"<p>rejected</p>"))
    checked = runner.invoke(main, ["documents", "verify"], env=env)
    assert checked.exit_code == 1 and f"document {made[0].id}" in checked.output
    with pytest.raises(StoredFileAltered, match="no longer matches"):
        store.get_verified(made[0].html_sha256, "the record")


def test_a_large_paper_is_stored_in_chunks_and_read_back_whole(officer: App) -> None:
    store = DatabaseStore(officer.database, chunk=64 * 1024)
    content = bytes(range(256)) * 1024 * 3 + b"tail"  # 768 KiB and a bit: 13 chunks
    digest = store.put(content)
    assert store.put(content) == digest, "storing the same bytes twice is harmless"
    assert digest == hashlib.sha256(content).hexdigest()
    assert [len(c) for c in store.stream(digest)][:2] == [64 * 1024, 64 * 1024]
    assert store.get(digest) == content and store.check(digest) is None
    assert store.check("0" * 64) == "the file is missing"
    with pytest.raises(StoredFileAltered, match="missing from the database"):
        store.get_verified("0" * 64, "paper 9")
