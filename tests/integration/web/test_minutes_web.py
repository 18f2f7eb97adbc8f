"""A board meeting's minutes through the API and the page, against uvicorn and PostgreSQL: the committee manager
drafts, edits (each save a version) and approves them; a member reads them, a private minute only if entitled;
another board's member is refused; once approved, the API refuses an edit and PostgreSQL refuses an UPDATE."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.helpers import AUTHOR, CYCLE, paper_file
from tests.integration.web.conftest import Site
from tests.integration.web.test_page_decisions import HTML
from workflow.player import Player
from workflow.store.models import MinutesVersion
from workflow.time.clock import at_local

SHIPPED = "community_safety_strategy"
SECRET = "That the review of the death of the person named in the annex be commissioned."
MINUTES = "/api/v1/boards/safer_mk/meetings/2021-09-08/minutes"
PAGE = "/boards/safer_mk/meetings/2021-09-08/minutes"


def played(web: Site, folder: Path) -> None:
    """The 2021 cycle played to adoption; Safer MK's September business is an exempt paper (its only one), privately
    resolved."""
    engine = web.engine
    web.clock.set(at_local(dt.date(2021, 7, 20), 10))  # the site's clock, as each test of the module finds it
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "strategic_assessment", paper_file(folder, "assessment", "names"), AUTHOR, exempt=2,
                  stage="assessment_sign_off")
    player = Player(engine, web.clock, engine.catalog.load(SHIPPED), CYCLE, 2021,
                    rehearsal={"decisions": {"strategic_assessment": {"resolution": SECRET}}})
    player._attached.add("strategic_assessment")  # the exempt assessment is the only paper Safer MK considers
    player.play()


def test_the_api_drafts_edits_approves_and_reads_minutes_by_entitlement(web: Site, tmp_path: Path) -> None:
    played(web, tmp_path)
    client = web.client()
    clerk, voting = web.token("committee_manager"), web.token("council_chief_executive")
    observer, other_board = web.token("observer_councillor_a"), web.token("community_safety_manager")
    drafted = client.post(f"{MINUTES}/draft", headers=clerk)
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["version"] == 1
    assert client.post(f"{MINUTES}/draft", headers=observer).status_code == 403
    saved = client.post(f"{MINUTES}/versions", headers=clerk,
                        json={"narratives": {"SMK3": "The Partnership noted the review's progress."}})
    assert saved.status_code == 201 and saved.json()["version"] == 2

    read = client.get(MINUTES, headers=voting).json()
    assert read["exclusion"]["number"] == "SMK2"
    assert [(m["number"], m["resolved"], m["narrative"]) for m in read["private"]] == [
        ("SMK3", [SECRET], "The Partnership noted the review's progress.")]
    seen = client.get(MINUTES, headers=observer)
    assert seen.status_code == 200 and seen.json()["withheld"] == 1
    pdf = client.get(f"{MINUTES}.pdf", headers=observer)
    assert pdf.headers["content-type"] == "application/pdf"
    for body in (seen.text, pdf_text(pdf.content)):
        assert SECRET not in body and "review's progress" not in body
    refused = client.get(MINUTES, headers=other_board)
    assert refused.status_code == 403
    assert "the minutes of the Safer MK Partnership are for its members" in refused.json()["detail"]
    assert client.get("/api/v1/boards/safer_mk/meetings/2021-09-09/minutes", headers=clerk).status_code == 404

    approved = client.post(f"{MINUTES}/approval", headers=clerk, json={"at": "2022-03-09"})
    assert approved.status_code == 201, approved.text
    assert approved.json()["chair"].startswith("Cllr Fiona Grant")
    again = client.post(f"{MINUTES}/versions", headers=clerk, json={"narratives": {"SMK3": "Rewritten."}})
    assert again.status_code == 422 and "they can no longer be changed" in again.json()["detail"]
    assert "Signed by the chair: Cllr Fiona Grant" in pdf_text(client.get(f"{MINUTES}.pdf", headers=voting).content)
    with web.engine.sessions() as session:
        assert [v.version for v in session.scalars(select(MinutesVersion))] == [1, 2]
    with pytest.raises(DBAPIError, match="append-only"), web.engine.sessions() as session:
        session.execute(text("UPDATE minutes_versions SET content = '{}'"))
    with pytest.raises(DBAPIError, match="approved and signed by the chair"), web.engine.sessions() as session:
        session.execute(text("INSERT INTO minutes_versions (board, meeting_date, version, content, sha256, saved_by, "
                             "saved_at) VALUES ('safer_mk', '2021-09-08', 3, '{}', 'x', 'x', now())"))


def test_the_committee_manager_writes_each_minutes_narrative_on_the_page(web: Site, tmp_path: Path) -> None:
    played(web, tmp_path)
    web.account("committee_manager")
    web.account("observer_councillor_a")
    manager, csrf = web.sign_in("committee_manager")
    first = manager.get(PAGE, headers=HTML)
    assert first.status_code == 200, first.text
    assert "Draft the minutes" in first.text
    drafted = manager.post(PAGE, headers=HTML, data={"csrf_token": csrf, "action": "draft"})
    assert drafted.status_code == 303
    page = manager.get(PAGE, headers=HTML).text
    assert 'name="narrative-3"' in page and 'value="SMK3"' in page and SECRET in page
    forged = manager.post(PAGE, headers=HTML, data={"action": "save", "minute-3": "SMK3", "narrative-3": "Forged."})
    assert forged.status_code == 403
    saved = manager.post(PAGE, headers=HTML, data={
        "csrf_token": csrf, "action": "save", "minute-1": "SMK1", "narrative-1": "None disclosed.",
        "minute-2": "SMK2", "narrative-2": "", "minute-3": "SMK3",
        "narrative-3": "The Partnership noted the review's progress."})
    assert saved.status_code == 303
    assert "The Partnership noted the review&#39;s progress." in manager.get(PAGE, headers=HTML).text
    observer, _ = web.sign_in("observer_councillor_a")
    theirs = observer.get(PAGE, headers=HTML)
    assert theirs.status_code == 200
    assert "textarea" not in theirs.text and SECRET not in theirs.text and "review&#39;s progress" not in theirs.text
    assert "1 private minute (Schedule 12A) is not shown" in theirs.text


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_committee_manager_records_the_approval_on_the_page(web: Site, tmp_path: Path) -> None:
    played(web, tmp_path)
    web.account("committee_manager")
    web.account("observer_councillor_a")
    manager, csrf = web.sign_in("committee_manager")
    assert manager.post(PAGE, headers=HTML, data={"csrf_token": csrf, "action": "draft"}).status_code == 303
    page = manager.get(PAGE, headers=HTML).text
    assert "Record approval" in page and 'name="approved-at-day"' in page

    def approve(day: str, month: str, year: str) -> httpx.Response:
        return manager.post(PAGE, headers=HTML, data={"csrf_token": csrf, "action": "approve", "approved-at-day": day,
                                                      "approved-at-month": month, "approved-at-year": year})

    unreadable = approve("31", "2", "2022")
    assert unreadable.status_code == 422 and "Enter the date of the meeting that approved them" in unreadable.text
    no_meeting = approve("1", "3", "2022")
    assert no_meeting.status_code == 422 and "has no meeting on 1 March 2022" in no_meeting.text
    assert 'value="2022"' in no_meeting.text, "the date as typed, to correct"
    observer, theirs = web.sign_in("observer_councillor_a")
    refused = observer.post(PAGE, headers=HTML, data={"csrf_token": theirs, "action": "approve",
                                                      "approved-at-day": "9", "approved-at-month": "3",
                                                      "approved-at-year": "2022"})
    assert refused.status_code == 403 and "Approved" not in manager.get(PAGE, headers=HTML).text
    assert approve("9", "3", "2022").status_code == 303
    done = manager.get(PAGE, headers=HTML).text
    assert "Approved at the meeting of" in done and "9 March 2022" in done
    assert "Record approval" not in done and "textarea" not in done, "approved minutes no longer change"
    signed = pdf_text(manager.get(PAGE + ".pdf").content)
    assert "Signed by the chair" in signed and "9 March 2022" in signed
