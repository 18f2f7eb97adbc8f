"""The shipped Domestic Homicide Review on real workers: two reviews at once, to the end of each.

Celery worker processes on PostgreSQL and Redis plan each stage's deadlines and reminders and send them on
the shared clock; the family contact, who has no email, is written a letter before publication.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from tests.conftest import make_settings
from tests.integration.test_workers import unhandled
from tests.integration.workers import Worker, wait_until, worker_env
from tests.test_domestic_homicide_review import pdftotext
from workflow.app import App
from workflow.commands import contacts
from workflow.commands.panels import choose_panel
from workflow.reads.audit_report import verify
from workflow.store.models import CaseLetter, Deadline, Document
from workflow.store.paper_store import PaperStore
from workflow.time.clock import at_local

DHR = "domestic_homicide_review"
COORDINATOR = "dhr_coordinator"
CLERK = "committee_manager"
BOARD = ["council_chief_executive", "police_area_commander", "ccg_chief_operating_officer", "probation_manager"]
ERASED = "(erased after the retention period)"


def family_reminder_due(app: App) -> dt.datetime | None:
    with app.engine.sessions() as session:
        due = [row.due_at for row in session.scalars(select(Deadline).where(Deadline.kind == "reminder"))
               if row.data.get("rule") == "family_publication"]
    return due[0] if due else None


def letters(app: App) -> list[str]:
    with app.engine.sessions() as session:
        return [letter.subject for letter in session.scalars(select(CaseLetter))]


def test_two_reviews_run_to_the_end_on_workers(shared: App, pg_url: str, machine_redis: str, tmp_path: Path) -> None:
    worker = Worker(worker_env(pg_url, machine_redis, tmp_path), tmp_path / "worker.log")
    engine = shared.engine
    clock = engine.clock
    overview = tmp_path / "overview.pdf"
    overview.write_bytes(b"%PDF-1.4\n% overview report\n")
    try:
        clock.set(at_local(dt.date(2026, 4, 7), 9))  # type: ignore[attr-defined]
        first, second = (engine.start(DHR, None, COORDINATOR, fields={
            "subject_name": name, "date_of_death": "2026-04-01", "date_notified": "2026-04-06"}).cycle
            for name in ("Alex Example", "Sam Sample"))
        engine.decide(first, "csp_board", "commission", CLERK, votes_for=BOARD[:1], votes_against=BOARD[1:])
        engine.decide(second, "csp_board", "commission", CLERK, votes_for=BOARD)
        for cycle in (first, second):
            engine.set_fields(cycle, {"home_office_told_on": "2026-04-08"}, COORDINATOR)
        engine.fire(first, "close_not_commissioned", COORDINATOR)
        engine.fire(second, "commission_review", COORDINATOR)
        choose_panel(engine, second, "review_panel", ["police_review_officer", "housing_lead"], COORDINATOR)
        engine.set_fields(second, {"chair_name": "Pat Northcote"}, COORDINATOR)
        engine.fire(second, "start_review", COORDINATOR)
        clock.set(at_local(dt.date(2026, 9, 14), 9))  # type: ignore[attr-defined]
        engine.attach(second, "overview_report", overview, COORDINATOR, exempt=2)
        engine.fire(second, "report_to_board", COORDINATOR)
        engine.decide(second, "csp_board", "overview_report", CLERK, votes_for=BOARD)
        engine.fire(second, "submit_to_home_office", COORDINATOR)
        clock.set(at_local(dt.date(2026, 11, 16), 9))  # type: ignore[attr-defined]
        engine.attach(second, "quality_assurance_letter", overview, COORDINATOR)
        engine.set_fields(second, {"publication_date": "2026-12-07"}, COORDINATOR)
        contacts.add(engine, second, COORDINATOR, role="family_contact", name="Jo Sample",
                     address="4 Mill Lane, Milton Keynes, MK2 2BB")
        engine.fire(second, "prepare_publication", COORDINATOR)
        wait_until(lambda: family_reminder_due(shared) is not None, "the workers to plan the family's reminder", 60,
                   check=worker.check)
        clock.set(family_reminder_due(shared))  # type: ignore[attr-defined]
        wait_until(lambda: bool(letters(shared)), "the workers to write the family's letter", 60, check=worker.check)
        clock.set(at_local(dt.date(2026, 12, 7), 9))  # type: ignore[attr-defined]
        engine.fire(second, "publish", COORDINATOR)
        wait_until(lambda: unhandled(shared) == 0, "every event to be handled", 60, check=worker.check)
    finally:
        worker.stop()
    assert [engine.status(c).stage for c in (first, second)] == ["closed_not_commissioned", "published"]
    assert letters(shared) == [f"Publication of the review's overview report ({second})"]
    # The workers made each decision's record with the case's details; the personal ones in its exempt version only.
    with engine.sessions() as session:
        records = session.scalars(select(Document).where(Document.cycle_id == engine.cycle_id(session, second),
                                                         Document.spec == "review_record")).all()
    files = PaperStore(make_settings(tmp_path / "worker-data").documents_dir)  # where the workers keep documents
    texts = {(r.title, r.version): pdftotext(files.get(r.pdf_sha256)) for r in records}
    assert len(texts) == 4, sorted(texts)  # commissioned, and the report agreed: public and exempt each
    for (title, version), text in texts.items():
        assert second in text and "6 April 2026" in text, (title, version)
        assert ("Sam Sample" in text) == (version == "exempt"), (title, version)
    clock.set(at_local(dt.date(2032, 12, 8), 9))  # type: ignore[attr-defined]
    erased = {found.cycle: found for found in engine.retention_run(files)}
    assert {cycle: found.fields for cycle, found in erased.items()} == {
        first: ["date_of_death", "subject_name"], second: ["date_of_death", "subject_name"]}
    assert erased[second].records["contacts"] == erased[second].records["letters"] == 1
    assert erased[second].records["documents"] == 2 and erased[first].records["documents"] == 1
    assert not any(files.path_for(r.pdf_sha256).exists() for r in records if r.version == "exempt")
    for cycle in (first, second):
        shown = {f.id: f.value for f in engine.case_fields(cycle, COORDINATOR)}
        assert shown["subject_name"] == ERASED and shown["date_notified"] == "6 April 2026"
    with engine.sessions() as session:
        assert verify(engine, session, sealer=engine.sealer,
                      definition_of=lambda d, v: engine.catalog.snapshot(session, d, v)).problems == []
