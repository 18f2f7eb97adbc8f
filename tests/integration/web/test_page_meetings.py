"""Moving and cancelling a board meeting from the pages, against uvicorn and PostgreSQL: the committee manager
chooses the meeting, the new date (or cancellation) and the reason, checks the change, and each member of the
board is sent the calendar update by the same MeetingChanged handler the workers run. Refusals: another role, or
another board's committee manager, gets 403 with a sentence; a date that is not real, or has passed, comes back
in the error summary; nothing is written by either."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from notifications import rescheduling
from tests.integration.web.conftest import Site
from tests.integration.web.test_page_decisions import HTML, hidden_fields, started
from workflow.store.models import HistoryEntry, Mail, OutboxEvent
from workflow.store.outbox import Handlers

CYCLE = "community_safety_strategy-2021"
MEETINGS = f"/cycles/{CYCLE}/meetings"
AUGUST = f"{MEETINGS}/risk_board_august"


def written(web: Site) -> tuple[int, int]:
    """History rows and outbox events: a refusal adds to neither."""
    with web.engine.sessions() as session:
        return (int(session.scalar(select(func.count()).select_from(HistoryEntry)) or 0),
                int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0))


def form(csrf: str, **fields: str) -> dict[str, Any]:
    typed = {"csrf_token": csrf, "change": "move", "new-date-day": "26", "new-date-month": "8",
             "new-date-year": "2021", "start": "", "reason": "The chair is at a national conference",
             "action": "check"}
    return {**typed, **fields}


def summary(html: str) -> list[str]:
    """The sentences of the GOV.UK error summary, with where each links to."""
    box = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [f"{href} {text}" for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', box)]


def test_a_committee_manager_moves_a_meeting_after_checking_it_and_every_member_is_told(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    cycle_page = manager.get(f"/cycles/{CYCLE}", headers=HTML)
    assert f'href="{MEETINGS}">Move or cancel a board meeting</a>' in cycle_page.text
    listed = manager.get(MEETINGS, headers=HTML)
    assert listed.status_code == 200, listed.text
    assert "Risk Board (August)" in listed.text and "Thursday 19 August 2021" in listed.text
    assert f'href="{AUGUST}"' in listed.text
    assert f'href="{MEETINGS}/mk_together_july"' not in listed.text, "held on 13 July: no longer movable"
    assert manager.get(AUGUST, headers=HTML).status_code == 200
    boards = manager.get("/my-boards", headers=HTML).text  # they serve the Risk Board as its officer
    assert f'href="{AUGUST}">Move or cancel<span class="govuk-visually-hidden"> the Risk Board (August)' in boards
    before = written(web)

    check = manager.post(AUGUST, headers=HTML, data=form(csrf))
    assert check.status_code == 200, check.text
    assert "Check the change before telling the members" in check.text
    assert "Thursday 26 August 2021" in check.text and "The chair is at a national conference" in check.text
    risk_board = web.definition.boards["risk_board"]
    assert f"The {len(risk_board.members)} members of the Risk Board, by email" in check.text
    assert written(web) == before, "the check page writes nothing"

    saved = manager.post(AUGUST, headers=HTML, data={**hidden_fields(check.text), "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == MEETINGS
    shown = manager.get(MEETINGS, headers=HTML).text
    assert (f"The Risk Board (August) moves to Thursday 26 August 2021 at 10:00; its {len(risk_board.members)} "
            "members are sent the calendar update by email") in shown
    assert "Thursday 26 August 2021" in shown and "Moved" in shown
    row = next(h for h in web.engine.history(CYCLE) if h["action"] == "meeting")
    assert (row["actor"], row["comment"], row["data"]["date"]) == (
        "committee_manager", "The chair is at a national conference", "2021-08-26")

    # The workers' own handler for the event the page's command wrote: each member gets the update.
    handlers = Handlers()
    handlers.on("MeetingChanged", "meeting", rescheduling.notify_action(web.engine, "example.org"))
    with web.engine.sessions() as session:
        events = list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "MeetingChanged")))
    assert len(events) == 1
    handlers.handle(web.engine, events[0])
    with web.engine.sessions() as session:
        mails = list(session.scalars(select(Mail).where(Mail.kind == "meeting")))
    assert sorted(m.person for m in mails) == sorted(p for p, _ in risk_board.members)
    assert all("Meeting moved: Risk Board (August)" in m.subject for m in mails)


def test_a_meeting_is_cancelled_with_its_reason(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    check = manager.post(AUGUST, headers=HTML, data=form(csrf, change="cancel", reason="Not quorate in August"))
    assert check.status_code == 200 and "Cancel the meeting and tell the members" in check.text
    saved = manager.post(AUGUST, headers=HTML, data={**hidden_fields(check.text), "action": "save"})
    assert saved.status_code == 303
    shown = manager.get(MEETINGS, headers=HTML).text
    assert "The Risk Board (August) is cancelled" in shown and "Cancelled" in shown
    assert f'href="{AUGUST}"' not in shown, "a cancelled meeting is not moved again"
    again = manager.post(AUGUST, headers=HTML, data=form(csrf, change="cancel"))
    assert again.status_code == 422 and "#change The Risk Board (August) was cancelled already." in summary(again.text)


def test_another_role_is_refused_with_a_sentence_and_nothing_is_written(web: Site) -> None:
    started(web)
    officer, csrf = web.signed_in("head_of_partnerships")  # the report author: starts cycles, keeps no calendar
    assert "Move or cancel a board meeting" not in officer.get(f"/cycles/{CYCLE}", headers=HTML).text
    assert f'href="{AUGUST}"' not in officer.get("/my-boards", headers=HTML).text  # a Risk Board member too
    before = written(web)
    for response in (officer.get(MEETINGS, headers=HTML), officer.get(AUGUST, headers=HTML),
                     officer.post(AUGUST, headers=HTML, data=form(csrf)),
                     officer.post(AUGUST, headers=HTML, data=form(csrf, action="save"))):
        assert response.status_code == 403, response.text
        assert "You cannot do this" in response.text
        assert ("Priya Shah cannot move or cancel meetings of the Community Safety Strategy: that is for the "
                "committee manager or scrutiny officer") in response.text
    assert written(web) == before
    assert not [h for h in web.engine.history(CYCLE) if h["action"] == "meeting"]


def test_another_boards_committee_manager_is_refused_naming_the_board(web: Site) -> None:
    started(web)
    web.account("scrutiny_officer")
    scrutiny, csrf = web.signed_in("scrutiny_officer")  # keeps the Scrutiny Committee's calendar, not the Risk Board's
    assert "Move or cancel a board meeting" in scrutiny.get(f"/cycles/{CYCLE}", headers=HTML).text
    listed = scrutiny.get(MEETINGS, headers=HTML)
    assert listed.status_code == 200, listed.text
    assert f'href="{MEETINGS}/scrutiny_november"' in listed.text
    assert "Risk Board (August)" not in listed.text and f'href="{AUGUST}"' not in listed.text
    before = written(web)
    for response in (scrutiny.get(AUGUST, headers=HTML), scrutiny.post(AUGUST, headers=HTML, data=form(csrf)),
                     scrutiny.post(AUGUST, headers=HTML, data=form(csrf, action="save"))):
        assert response.status_code == 403, response.text
        assert ("Daniel Osei cannot move or cancel the meetings of the Risk Board: that is for its committee "
                "manager") in response.text
    assert written(web) == before
    assert not [h for h in web.engine.history(CYCLE) if h["action"] == "meeting"]


def test_a_bad_date_comes_back_in_the_error_summary_and_nothing_is_written(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    before = written(web)
    cases = {
        "#new-date The new date must be a real date, like 26 8 2021.": form(csrf, **{"new-date-day": "31",
                                                                                     "new-date-month": "2"}),
        "#new-date 1 June 2021 has passed; a meeting moves to today or later.": form(
            csrf, **{"new-date-day": "1", "new-date-month": "6", "action": "save"}),
        "#new-date Enter the new date, or a new start time, or both.": form(
            csrf, **{"new-date-day": "", "new-date-month": "", "new-date-year": ""}),
        "#start The start time must be a time of day, like 14:00.": form(csrf, start="2pm"),
        "#reason Say why, in words the members will read.": form(csrf, reason=" "),
        "#change Say whether the meeting moves or is cancelled.": form(csrf, change=""),
    }
    for said, posted in cases.items():
        page = manager.post(AUGUST, headers=HTML, data=posted)
        assert page.status_code == 422, page.text
        assert summary(page.text) == [said]
        assert "There is a problem" in page.text and "<title>Error: " in page.text
    assert written(web) == before
    kept = manager.post(AUGUST, headers=HTML, data=form(csrf, **{"new-date-day": "31", "new-date-month": "2"}))
    assert 'name="reason" rows="3"' in kept.text and "The chair is at a national conference</textarea>" in kept.text
