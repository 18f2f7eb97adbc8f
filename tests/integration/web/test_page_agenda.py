"""A board meeting's agenda over the API and on its page, against uvicorn and PostgreSQL: the Risk Board's meeting of
Thursday 19 August 2021, with the strategic assessment and an exempt annex (Schedule 12A paragraph 7) attached for
it. Members read it (the private item only if entitled), the committee manager changes and issues it; others get
403 (in the directory) or 404 (not in it), and a refusal writes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tests.helpers import AUTHOR, CYCLE, paper_file
from tests.integration.web.conftest import PASSWORD, Site
from tests.integration.web.test_page_decisions import HTML, started
from workflow.store.models import AgendaChange, OutboxEvent

API = "/api/v1/boards/risk_board/meetings/2021-08-19/agenda"
PAGE = "/boards/risk_board/meetings/2021-08-19/agenda"


def _ready(web: Site, tmp_path: Path) -> None:
    started(web)
    web.engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa"), AUTHOR, stage="assessment_sign_off")
    web.engine.attach(CYCLE, "recommended_priorities", paper_file(tmp_path, "annex"), AUTHOR, exempt=7,
                      title="Operation Nightjar annex", stage="assessment_sign_off")


def _written(web: Site) -> tuple[int, int]:
    with web.engine.sessions() as session:
        return (int(session.scalar(select(func.count()).select_from(AgendaChange)) or 0),
                int(session.scalar(select(func.count()).select_from(OutboxEvent)
                                   .where(OutboxEvent.event_type == "AgendaIssued")) or 0))


def test_api_reads_changes_and_issues_the_agenda(web: Site, tmp_path: Path) -> None:
    _ready(web, tmp_path)
    client, manager = web.client(), web.token("committee_manager")
    shown = client.get(API, headers=manager)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["issue_by"] == "2021-08-11" and body["title"] == "Risk Board (August)"
    assert [i["title"] for i in body["public_items"]][3:5] == ["Annual Strategic Assessment",
                                                                "Date of Next Meeting"]
    assert body["private_items"][0]["papers"][0]["title"] == "Operation Nightjar annex"

    added = client.post(f"{API}/items", headers=manager, json={"title": "Serious violence duty", "purpose":
                                                               "For information"})
    assert added.status_code == 201, added.text
    moved = client.post(f"{API}/items/5/move", headers=manager, json={"to": 1})
    assert moved.status_code == 200 and moved.json()["public_items"][0]["title"] == "Serious violence duty"
    issued = client.post(f"{API}/issue", headers=manager)
    assert issued.status_code == 201 and issued.json()["version"] == 1 and not issued.json()["late"]
    assert _written(web) == (3, 1)

    again = client.post(f"{API}/issue", headers=manager)
    assert again.status_code == 422 and "has not changed since" in again.json()["detail"]
    unknown = client.post(f"{API}/items/99/withdraw", headers=manager, json={"reason": "x", "reissue": True})
    assert unknown.status_code == 422 and "no item '99'" in unknown.json()["detail"]
    assert _written(web) == (3, 1)


def test_members_see_private_items_only_if_entitled_and_others_are_refused(web: Site, tmp_path: Path) -> None:
    _ready(web, tmp_path)
    client = web.client()
    voter = client.get(API, headers=web.token("fire_group_commander")).json()
    assert voter["private_items"][0]["exempt_paragraph"] == 7
    author = web.token(AUTHOR)
    refused = client.post(f"{API}/items", headers=author, json={"title": "Any other business"})
    assert refused.status_code == 403 and "cannot change or issue the agendas" in refused.json()["detail"]
    off_board = client.get(API, headers=web.token("scrutiny_chair"))
    assert off_board.status_code == 403 and "for the members of the Risk Board" in off_board.json()["detail"]
    web.accounts.add("outsider@example.net", password=PASSWORD, admin=True, by="test")  # in no directory
    outsider = {"Authorization": f"Bearer {web.accounts.create_token('outsider@example.net', 'test')}"}
    assert client.get(API, headers=outsider).status_code == 404
    assert client.get("/api/v1/boards/risk_board/meetings/2021-08-20/agenda", headers=author).status_code == 404
    assert _written(web) == (0, 0)


def test_the_page_shows_the_agenda_and_the_committee_managers_controls(web: Site, tmp_path: Path) -> None:
    _ready(web, tmp_path)
    manager, csrf = web.sign_in("committee_manager")
    boards = manager.get("/my-boards", headers=HTML).text
    assert f'href="{PAGE}">Agenda<span class="govuk-visually-hidden"> of the Risk Board (August)' in boards
    page = manager.get(PAGE, headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    assert "10.00 am, Thursday 19 August 2021" in text
    assert "Issue by Wednesday 11 August 2021 (5 clear working days before the meeting)" in text
    assert text.index("1. Welcome, Introductions and Apologies") < text.index("4. Annual Strategic Assessment") \
        < text.index("Notice of intention to hold part of the meeting in private") \
        < text.index("6. Exclusion of Public and Press") < text.index("7. Annual Strategic Assessment: exempt")
    assert "Operation Nightjar annex" in text and "Issue the agenda</button>" in text

    empty = manager.post(PAGE, headers=HTML, data={"csrf_token": csrf, "action": "add", "title": ""})
    assert empty.status_code == 422 and "There is a problem" in empty.text
    assert _written(web) == (0, 0)
    moved = manager.post(PAGE, headers=HTML, data={"csrf_token": csrf, "action": "up", "item": "4"})
    assert moved.status_code == 303 and moved.headers["location"] == PAGE
    after = manager.get(PAGE, headers=HTML).text
    assert "Item 4 is moved up" in after and "3. Annual Strategic Assessment" in after
    issued = manager.post(PAGE, headers=HTML, data={"csrf_token": csrf, "action": "issue"})
    assert issued.status_code == 303
    assert "Version 1, Sunday 20 July 2021" not in manager.get(PAGE, headers=HTML).text  # a Tuesday: said as one
    assert "Version 1, Tuesday 20 July 2021" in manager.get(PAGE, headers=HTML).text
    assert manager.post(PAGE, data={"action": "issue"}).status_code == 403, "no CSRF token: refused"
    assert _written(web) == (2, 1)


def test_a_member_reads_it_without_controls_and_someone_off_the_board_is_refused(web: Site, tmp_path: Path) -> None:
    _ready(web, tmp_path)
    web.account("fire_group_commander")
    member, _ = web.sign_in("fire_group_commander")
    page = member.get(PAGE, headers=HTML)
    assert page.status_code == 200 and "Operation Nightjar annex" in page.text
    assert "Issue the agenda" not in page.text and "Move up" not in page.text
    web.account("scrutiny_chair")
    other, _ = web.sign_in("scrutiny_chair")
    assert other.get(PAGE, headers=HTML).status_code == 403
