"""The public site, through a real HTTP client with no session against uvicorn and PostgreSQL.

A cycle whose July item at MK Together is exempt (every paper of it under Schedule 12A), whose August Risk Board
item has a public report beside an exempt annex, with a decision on each and the sign-off records made: the
pages, both feeds and the download route show the public report, the decision on the public item and the exempt
item by its definition's title and paragraph, and never the exempt papers' titles, text or files, nor the
resolution on the private item. An exempt or unknown document is the same 404.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from xml.etree import ElementTree as ET

import httpx
import pytest
from fastapi.routing import APIRoute
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select

from notifications.agenda_issue import AgendaPacks
from notifications.documents import Documents
from tests.helpers import CLERK
from tests.integration.web.conftest import Site
from web.pages import public
from workflow.commands import agenda
from workflow.commands.meetings import change_meeting
from workflow.commands.minutes import approve_minutes, draft_minutes
from workflow.store.models import Document, MinutesApproval, OutboxEvent, Paper
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}
ATOM = "{http://www.w3.org/2005/Atom}"
# The exempt papers' words and files, and the resolution on the private item: none may reach a public answer.
SECRET_TITLE = "Early findings naming a family under a child protection plan"
SECRET_TEXT = "confidential-early-findings-text"
ANNEX_TITLE = "Assessment annex: named offenders"
ANNEX_TEXT = "confidential-annex-text"
PRIVATE_RESOLUTION = "That the family named in the exempt report be referred"
# September's Risk Board item on the priorities, whose two papers (under other ids than the item) are both exempt.
PRIORITIES_TITLE, PRIORITIES_TEXT = "Priorities naming the estates under dispersal orders", "confidential-priorities"
PRIORITIES_RESOLUTION = "That the dispersal order on the named estate be renewed in secret"
SECRETS = (SECRET_TITLE, SECRET_TEXT, ANNEX_TITLE, ANNEX_TEXT, PRIVATE_RESOLUTION, PRIORITIES_TITLE,
           PRIORITIES_TEXT, PRIORITIES_RESOLUTION)
PUBLIC_TITLE = "Strategic assessment 2021"
PUBLIC_RESOLUTION = "That the Strategic Assessment 2021 be signed off."
JULY, AUGUST = dt.date(2021, 7, 13), dt.date(2021, 8, 19)  # MK Together's and the Risk Board's meetings


def attach(web: Site, paper: str, stage: str, title: str, text: str, exempt: str | None = None) -> None:
    officer = web.token("head_of_partnerships")
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                 data={"paper": paper, "stage": stage, "title": title,
                                       **({"exempt": exempt} if exempt else {})},
                                 files={"file": (f"{paper}.txt", text.encode(), "text/plain")})
    assert attached.status_code == 201, attached.text


def records_made(web: Site, trigger: str) -> None:
    """The gate's sign-off records, made as the workers' handler makes them."""
    documents = Documents(web.engine, web.app.state.cycle.documents())
    handlers = Handlers()
    handlers.on("GatePassed", "documents", lambda s, e, now: documents.generate(s, e, now))
    with web.engine.sessions() as session:
        event = next(e.id for e in session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "GatePassed"))
                     if e.payload["trigger"] == trigger)
    handlers.handle(web.engine, event)


def packs_made(web: Site) -> None:
    """The issued agendas' packs, made as the workers' handler makes them."""
    packs = AgendaPacks(web.engine, web.app.state.cycle.documents())
    handlers = Handlers()
    handlers.on("AgendaIssued", "agenda_pack", packs.apply, prepare=packs.prepare)
    with web.engine.sessions() as session:
        events = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "AgendaIssued")).all()
    for event in events:
        handlers.handle(web.engine, event)


def decided(web: Site, board: str, item: str, resolution: str) -> None:
    web.engine.decide(CYCLE, board, item, CLERK, votes_for=list(web.definition.boards[board].voting),
                      resolution=resolution)


@pytest.fixture
def held(web: Site) -> Site:
    """July's private item decided and signed off; August's public report (with its exempt annex) decided."""
    web.clock.set(at_local(dt.date(2021, 7, 1), 9))
    web.engine.start("community_safety_strategy", 2021, "head_of_partnerships")
    attach(web, "early_findings", "early_findings", SECRET_TITLE, SECRET_TEXT, exempt="2")
    attach(web, "strategic_assessment", "assessment_sign_off", PUBLIC_TITLE, "The public assessment.")
    attach(web, "strategic_assessment", "assessment_sign_off", ANNEX_TITLE, ANNEX_TEXT, exempt="7")
    for board, day in (("mk_together", JULY), ("risk_board", AUGUST)):
        agenda.issue(web.engine, board, day, CLERK)
    packs_made(web)
    web.clock.set(at_local(dt.date(2021, 7, 13), 17))
    decided(web, "mk_together", "early_findings", PRIVATE_RESOLUTION)
    web.engine.fire(CYCLE, "discuss_early_findings", "head_of_partnerships")
    records_made(web, "discuss_early_findings")
    web.clock.set(at_local(dt.date(2021, 8, 19), 13))
    decided(web, "risk_board", "strategic_assessment", PUBLIC_RESOLUTION)
    web.engine.fire(CYCLE, "sign_off_assessment", "head_of_partnerships")
    records_made(web, "sign_off_assessment")
    web.clock.set(at_local(dt.date(2021, 8, 20), 9))
    return web


@pytest.fixture
def approved(held: Site) -> Site:
    """Both meetings' minutes drafted and approved at each board's next meeting (September, February)."""
    for board, day, at in (("risk_board", AUGUST, dt.date(2021, 9, 23)), ("mk_together", JULY, dt.date(2022, 2, 22))):
        held.clock.set(at_local(at, 17))
        draft_minutes(held.engine, board, day, CLERK)
        approve_minutes(held.engine, board, day, CLERK, at=at)
    return held


def paper_ids(web: Site) -> dict[str, int]:
    with web.engine.sessions() as session:
        return {p.title: p.id for p in session.scalars(select(Paper))}


def refs(page: str) -> list[str]:
    return re.findall(r'href="/public/documents/([a-z]+-\d+)"', page)


def assert_nothing_exempt(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_a_resident_reads_a_boards_meetings_business_and_decisions_without_signing_in(held: Site) -> None:
    resident = held.client()
    index = resident.get("/public", headers=HTML)
    assert index.status_code == 200 and "set-cookie" not in index.headers
    assert index.headers["cache-control"] == "public, max-age=300"
    assert 'href="/public/boards/risk_board"' in index.text and "MK Together Management Board" in index.text
    board = resident.get("/public/boards/risk_board", headers=HTML)
    assert board.status_code == 200
    coming, past = board.text.split("Past meetings", 1)
    assert "Risk Board (September)" in coming and "Risk Board (February)" in coming
    assert "Risk Board (August)" in past and "Risk Board (August)" not in coming
    assert_nothing_exempt(board.text)
    august = resident.get("/public/boards/risk_board/meetings/2021-08-19", headers=HTML)
    assert august.status_code == 200, august.text
    assert "Thursday 19 August 2021, 10:00 to 12:00" in august.text and "Meeting Room 4" in august.text
    assert PUBLIC_TITLE in august.text and PUBLIC_RESOLUTION in august.text
    assert "An annex is not published: Schedule 12A, paragraph 7" in august.text
    assert "teams.example.org" not in august.text, "the members' link to join is not published"
    assert_nothing_exempt(august.text)
    # Its report and its public sign-off record download; the record is the public version.
    downloads = refs(august.text)
    assert {r.split("-")[0] for r in downloads} == {"pack", "paper", "record"}, "minutes only once approved"
    for ref in downloads:
        got = resident.get(f"/public/documents/{ref}")
        assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment;")
        assert_nothing_exempt(got.text if ref.startswith("paper") else pdf_text(got.content))
    assert resident.get(f"/public/documents/paper-{paper_ids(held)[PUBLIC_TITLE]}").text == "The public assessment."


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_an_exempt_item_shows_only_its_own_title_and_paragraph(held: Site) -> None:
    resident = held.client()
    july = resident.get("/public/boards/mk_together/meetings/2021-07-13", headers=HTML)
    assert july.status_code == 200
    assert "Strategic assessment - early findings" in july.text  # the definition's title for the item
    assert "Private" in july.text and "Schedule 12A, paragraph 2: Information which is likely to reveal" in july.text
    assert_nothing_exempt(july.text)
    assert [r.split("-")[0] for r in refs(july.text)] == ["pack"], \
        "the issued agenda pack; no paper of the private item, nor its record (the resolution)"
    assert_nothing_exempt(resident.get("/public/boards/mk_together", headers=HTML).text)


def test_an_exempt_or_unknown_document_is_the_same_404(held: Site) -> None:
    resident = held.client()
    ids = paper_ids(held)
    with held.engine.sessions() as session:
        exempt_records = [d.id for d in session.scalars(select(Document).where(Document.version == "exempt"))]
    assert exempt_records, "the records of a step with exempt papers have an exempt version"
    asked = [f"paper-{ids[SECRET_TITLE]}", f"paper-{ids[ANNEX_TITLE]}", *(f"record-{i}" for i in exempt_records),
             "paper-999999", "record-999999", "minutes-1", "paper-x", "paper-1e3"]
    answers = [resident.get(f"/public/documents/{ref}", headers=HTML) for ref in asked]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1, "an exempt document's answer is an unknown one's"
    for answer in answers:
        assert_nothing_exempt(answer.text)
    assert resident.get("/public/boards/no_such_board", headers=HTML).status_code == 404
    assert resident.get("/public/boards/risk_board/meetings/nothing.here", headers=HTML).status_code == 404


def test_the_calendar_feed_and_board_page_have_the_meetings_as_they_stand_and_no_person(held: Site) -> None:
    change_meeting(held.engine, CYCLE, "risk_board_september", CLERK, reason="The chair is away",
                   day=dt.date(2021, 9, 30))
    change_meeting(held.engine, CYCLE, "risk_board_february", CLERK, reason="Business taken in March", cancel=True)
    fed = held.client().get("/public/boards/risk_board/meetings.ics")
    assert fed.status_code == 200 and fed.headers["content-type"].startswith("text/calendar")
    assert fed.headers["cache-control"] == "public, max-age=300"
    calendar = Calendar.from_ical(fed.text)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Risk Board (August)", "Risk Board (September)", "Risk Board (February)"}
    september = events["Risk Board (September)"]
    assert september["dtstart"].dt.strftime("%Y-%m-%d %H:%M") == "2021-09-30 10:00"
    assert int(september["sequence"]) == 1 and str(september["uid"]).startswith(f"{CYCLE}.risk_board_september")
    assert str(events["Risk Board (February)"]["status"]) == "CANCELLED"
    assert str(events["Risk Board (August)"]["status"]) == "CONFIRMED"
    assert "attendee" not in fed.text.lower() and "organizer" not in fed.text.lower() and "@example" not in fed.text
    assert_nothing_exempt(fed.text)
    page = held.client().get("/public/boards/risk_board", headers=HTML).text
    assert "Moved" in page and "Thursday 30 September 2021" in page
    assert "Cancelled" in page and "Business taken in March" not in page, "the reason is the members' business"


def test_the_atom_feed_lists_the_boards_public_documents_and_nothing_exempt(held: Site) -> None:
    for board in ("risk_board", "mk_together"):
        fed = held.client().get(f"/public/boards/{board}/documents.atom")
        assert fed.status_code == 200 and fed.headers["content-type"].startswith("application/atom+xml")
        assert_nothing_exempt(fed.text)
        feed = ET.fromstring(fed.content)
        assert feed.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated"):
            assert feed.find(f"{ATOM}{required}") is not None
        for entry in feed.findall(f"{ATOM}entry"):
            for required in ("id", "title", "updated"):
                assert (entry.findtext(f"{ATOM}{required}") or "").strip(), required
            link = entry.find(f"{ATOM}link[@rel='alternate']")
            assert link is not None
            served = held.client().get(httpx.URL(link.attrib["href"]).path)
            assert served.status_code == 200
        titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
        if board == "risk_board":
            assert f"Report: {PUBLIC_TITLE}" in titles
            assert any(str(t).startswith("Sign-off record") for t in titles)
        else:  # MK Together's July item is private: neither its paper nor its record (it carries the resolution)
            assert titles == ["Agenda pack: MK Together Management Board, "
                              "Tuesday 13 July 2021 (issue 1)"]


def test_the_issued_pack_and_approved_minutes_are_published_without_the_private_part(approved: Site) -> None:
    resident = approved.client()
    july = resident.get("/public/boards/mk_together/meetings/2021-07-13", headers=HTML).text
    kinds = {r.split("-")[0]: r for r in refs(july)}
    assert set(kinds) == {"pack", "minutes"}
    pack = pdf_text(resident.get(f"/public/documents/{kinds['pack']}").content)
    assert "MK TOGETHER MANAGEMENT BOARD" in pack.upper() and "Exclusion of Public and Press" in pack
    minutes = resident.get(f"/public/documents/{kinds['minutes']}")
    assert minutes.status_code == 200 and minutes.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(minutes.content).split())
    assert "Minutes of the meeting of the MK TOGETHER MANAGEMENT BOARD held on TUESDAY 13 JULY 2021" in text
    assert "Signed by the chair" in text and "22 February 2022" in text
    assert "EXCLUSION" in text.upper() and "paragraph 2" in text.lower(), "the exclusion resolution, its paragraph"
    assert "Not for publication" not in text
    assert_nothing_exempt(text)
    feed = resident.get("/public/boards/mk_together/documents.atom").text
    assert "Minutes: MK Together Management Board, Tuesday 13 July 2021" in feed


def test_every_public_address_of_every_board_meeting_and_document_holds_nothing_exempt(approved: Site) -> None:
    """The sweep: each GET route of the public site, with every board, meeting and document it offers filled in
    (and the exempt papers', records' and packs' own ids, and every minutes' approval), read as a resident; a
    route added later is walked too."""
    resident = approved.client()
    with approved.engine.sessions() as session:
        assert len(session.scalars(select(MinutesApproval)).all()) == 2
    assert any(r.startswith("pack-") for r in refs(
        resident.get("/public/boards/risk_board/meetings/2021-08-19", headers=HTML).text))
    assert sweep(approved) >= 25  # 4 boards with their feeds, 8 meetings, every paper, record, pack and minutes


@pytest.fixture
def private_priorities(held: Site) -> Site:
    """Then September's Risk Board decides on the priorities with both their papers exempt: private business
    (`entitlement.private_business`) though no paper bears the item's own id, signed off with its records."""
    attach(held, "recommended_priorities", "priorities", PRIORITIES_TITLE, PRIORITIES_TEXT, exempt="3")
    attach(held, "consultation_plan", "priorities", "Consultation plan for the named estates", PRIORITIES_TEXT,
           exempt="3")
    held.clock.set(at_local(dt.date(2021, 9, 23), 17))
    decided(held, "risk_board", "priorities", PRIORITIES_RESOLUTION)
    return held


def test_the_resolution_of_a_private_item_is_on_no_public_page_feed_or_download(private_priorities: Site) -> None:
    """The minutes and the sign-off record's public version withhold it: so does every public address."""
    resident = private_priorities.client()
    september = resident.get("/public/boards/risk_board/meetings/2021-09-23", headers=HTML)
    assert september.status_code == 200
    assert "Priorities for the Community Safety Strategy" in september.text, "listed by its definition's title"
    assert "Schedule 12A, paragraph 3" in september.text
    assert PRIORITIES_RESOLUTION not in september.text
    assert sweep(private_priorities) >= 25


def sweep(web: Site) -> int:
    """Every address of every public route read as a resident, none holding anything exempt; how many."""
    resident = web.client()
    boards = re.findall(r'href="/public/boards/([a-z0-9_]+)"', resident.get("/public", headers=HTML).text)
    assert {"risk_board", "mk_together", "safer_mk"} <= set(boards)
    meetings = {b: re.findall(rf'href="/public/boards/{b}/meetings/([^"]+)"',
                              resident.get(f"/public/boards/{b}", headers=HTML).text) for b in boards}
    ids = paper_ids(web)
    with web.engine.sessions() as session:
        every_record = [f"{kind}-{d.id}" for d in session.scalars(select(Document)) for kind in ("record", "pack")]
        every_minutes = [f"minutes-{a.id}" for a in session.scalars(select(MinutesApproval))]
    documents = {*(f"paper-{i}" for i in ids.values()), *every_record, *every_minutes}
    walked = 0
    for route in public.router.routes:
        assert isinstance(route, APIRoute)
        for address in addresses(route.path, boards, meetings, documents):
            answer = resident.get(address, headers=HTML)
            assert answer.status_code in (200, 404), address
            text = pdf_text(answer.content) if answer.content.startswith(b"%PDF") else answer.text
            assert_nothing_exempt(text)
            walked += 1
    return walked


def addresses(path: str, boards: list[str], meetings: dict[str, list[str]], documents: set[str]) -> list[str]:
    if "{ref}" in path:
        return [path.replace("{ref}", ref) for ref in sorted(documents)]
    if "{key}" in path:
        return [path.replace("{board_id}", b).replace("{key}", key) for b in boards for key in meetings[b]]
    if "{board_id}" in path:
        return [path.replace("{board_id}", b) for b in boards]
    return [path]


def test_a_paper_named_with_dashes_and_curly_quotes_downloads_under_its_own_name_from_both_sites(web: Site) -> None:
    """The file's name, however it is spelt, reaches the browser (RFC 6266 / 5987): the public download and the
    signed-in one answer alike, the name percent-encoded in `filename*` beside a plain ASCII `filename`."""
    web.clock.set(at_local(dt.date(2021, 7, 1), 9))
    web.engine.start("community_safety_strategy", 2021, "head_of_partnerships")
    officer = web.token("head_of_partnerships")
    name = "Review \u2013 \u201cSafer\u201d streets.txt"
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                 data={"paper": "early_findings", "stage": "early_findings", "title": name[:-4]},
                                 files={"file": (name, b"The streets review.", "text/plain")})
    assert attached.status_code == 201, attached.text
    paper = paper_ids(web)[name[:-4]]
    for address, headers in ((f"/public/documents/paper-{paper}", {}), (f"/api/v1/papers/{paper}", officer)):
        got = web.client().get(address, headers=headers)
        assert got.status_code == 200, (address, got.text)
        assert got.content == b"The streets review."
        assert got.headers["content-disposition"] == (
            "attachment; filename=\"Review Safer streets.txt\"; "
            "filename*=UTF-8''Review%20%E2%80%93%20%E2%80%9CSafer%E2%80%9D%20streets.txt"), address
