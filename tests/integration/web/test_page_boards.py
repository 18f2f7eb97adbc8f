"""My boards and the calendar feed, through a real HTTP client against uvicorn and PostgreSQL: a member sees their
board's meetings and papers and not another board's exempt paper; the feed parses, has the meetings in UK time,
carries no paper, and stops working when replaced or stopped."""

from __future__ import annotations

import re

from icalendar import Calendar

from tests.integration.web.conftest import Site

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}
SECRET_TITLE = "Findings naming a family under a child protection plan"


def started_with_an_exempt_paper(web: Site) -> None:
    """The cycle started, with an exempt paper for the MK Together board (which the Risk Board's members are not on)."""
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                 data={"paper": "early_findings", "exempt": "2", "title": SECRET_TITLE},
                                 files={"file": ("f.txt", b"confidential findings", "text/plain")})
    assert attached.status_code == 201, attached.text
    web.account("council_chief_executive")  # chairs MK Together
    web.account("probation_manager")  # Risk Board and Safer MK, not MK Together


def feed_address(page: str) -> str:
    found = re.search(r'<code id="feed-url"[^>]*>([^<]+)</code>', page)
    assert found, "the new address is shown once"
    return found.group(1)


def test_a_member_sees_their_boards_meetings_and_papers_but_not_another_boards_exempt_paper(web: Site) -> None:
    started_with_an_exempt_paper(web)
    chair, _ = web.signed_in("council_chief_executive")
    mine = chair.get("/my-boards", headers=HTML)
    assert mine.status_code == 200, mine.text
    assert "MK Together Management Board" in mine.text and SECRET_TITLE in mine.text and "Exempt" in mine.text
    member, _ = web.signed_in("probation_manager")
    theirs = member.get("/my-boards", headers=HTML).text
    assert "Risk Board" in theirs and "Safer MK Partnership" in theirs
    assert "Risk Board (August)" in theirs and "Thursday 19 August 2021, 10:00 to 12:00" in theirs
    assert "Meeting Room 4, Civic Offices" in theirs and "https://teams.example.org/l/meetup-join/risk-board" in theirs
    assert SECRET_TITLE not in theirs and "MK Together Management Board" not in theirs
    assert 'href="/my-boards"' in theirs  # the navigation shows My boards to a board member


def test_the_calendar_feed_lists_the_members_meetings_in_uk_time_without_papers(web: Site) -> None:
    started_with_an_exempt_paper(web)
    member, csrf = web.signed_in("council_chief_executive")
    assert "You have no calendar feed" in member.get("/my-boards", headers=HTML).text
    created = member.post("/my-boards/calendar", headers=HTML, data={"csrf_token": csrf})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    address = feed_address(created.text)
    assert address.startswith(f"{web.url}/calendar/cal_") and address.endswith(".ics")
    assert address not in member.get("/my-boards", headers=HTML).text, "shown only once"
    fed = web.client().get(address)  # a calendar app, with no session
    assert fed.status_code == 200 and fed.headers["content-type"].startswith("text/calendar")
    assert SECRET_TITLE not in fed.text and "confidential" not in fed.text.lower()
    calendar = Calendar.from_ical(fed.text)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert "MK Together Management Board (July)" in events and "Safer MK Partnership (September)" in events
    assert not any("Risk Board" in title for title in events), "only the boards the person serves on"
    july = events["MK Together Management Board (July)"]
    assert july["dtstart"].params["TZID"] == "Europe/London"
    assert july["dtstart"].dt.strftime("%Y-%m-%d %H:%M") == "2021-07-13 14:00"
    assert "Committee Room 2" in str(july["location"])
    assert "TZID:Europe/London" in fed.text
    # The subscriber alone as attendee: the feed's address must not hand out the other members' addresses.
    attendees = {str(a).lower() for e in calendar.walk("VEVENT") for a in
                 (e.get("attendee") if isinstance(e.get("attendee"), list) else [e.get("attendee")]) if a}
    mine = [a for a in attendees if a.startswith("mailto:")]
    assert mine == ["mailto:chief.executive@example.org"], attendees


def test_a_replaced_or_stopped_feed_address_no_longer_opens(web: Site) -> None:
    started_with_an_exempt_paper(web)
    member, csrf = web.signed_in("probation_manager")
    first = feed_address(member.post("/my-boards/calendar", headers=HTML, data={"csrf_token": csrf}).text)
    second = feed_address(member.post("/my-boards/calendar", headers=HTML, data={"csrf_token": csrf}).text)
    calendar_app = web.client()
    assert calendar_app.get(first).status_code == 404
    assert calendar_app.get(second).status_code == 200
    assert "Create a new address" in member.get("/my-boards", headers=HTML).text
    stopped = member.post("/my-boards/calendar/stop", headers=HTML, data={"csrf_token": csrf})
    assert stopped.status_code == 303
    assert calendar_app.get(second).status_code == 404
    assert calendar_app.get(f"{web.url}/calendar/cal_guessed.ics").status_code == 404
    assert "You have no calendar feed" in member.get("/my-boards", headers=HTML).text


def card(page: str, meeting: str) -> str:
    """The summary card of one meeting on My boards: from its title to the next card's."""
    start = page.index(f'<h4 class="govuk-summary-card__title">{meeting}')
    following = page.find('<h4 class="govuk-summary-card__title">', start + 1)
    return page[start:following if following > 0 else len(page)]


def test_a_safer_mk_member_finds_the_risk_boards_assessment_under_the_september_meeting(web: Site) -> None:
    """Attached for the Risk Board's August sign-off; Safer MK decides on it in September."""
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    ids = {}
    for title, exempt in (("Strategic assessment 2021", None), ("Assessment annex: named offenders", "7")):
        attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                     data={"paper": "strategic_assessment", "stage": "assessment_sign_off",
                                           "title": title, **({"exempt": exempt} if exempt else {})},
                                     files={"file": ("sa.txt", title.encode(), "text/plain")})
        assert attached.status_code == 201, attached.text
    for row in web.client().get(f"/api/v1/cycles/{CYCLE}/papers", headers=officer).json():
        ids[row["title"]] = row["id"]
    web.account("crc_head_of_operations")  # votes on Safer MK, on no other board
    web.account("rural_parish_representative")  # advises Safer MK, in public session
    member, _ = web.signed_in("crc_head_of_operations")
    boards = member.get("/my-boards", headers=HTML).text
    september = card(boards, "Safer MK Partnership (September)")
    assert "Strategic assessment 2021" in september and "Assessment annex: named offenders" in september
    assert "None yet" not in september
    assert "Strategic assessment 2021" not in card(boards, "Safer MK Partnership (March)"), "not March's business"
    papers = member.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    assert "Assessment annex: named offenders" in papers
    assert "then Strategic assessment presented" in papers and "Safer MK Partnership" in papers
    assert member.get(f"/api/v1/papers/{ids['Assessment annex: named offenders']}").status_code == 200
    # An advisor of Safer MK gets the public assessment for September, never the exempt annex.
    advisor, _ = web.signed_in("rural_parish_representative")
    theirs = advisor.get("/my-boards", headers=HTML).text
    assert "Strategic assessment 2021" in card(theirs, "Safer MK Partnership (September)")
    assert "Assessment annex: named offenders" not in theirs
    assert "Assessment annex" not in advisor.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    assert advisor.get(f"/api/v1/papers/{ids['Assessment annex: named offenders']}").status_code == 404


def test_mk_together_and_safer_mk_members_find_the_final_draft_under_february_and_march(web: Site) -> None:
    """Attached for the Risk Board's February sign-off; MK Together agrees it in February, Safer MK adopts in March."""
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    for title, exempt in (("Community Safety Strategy 2022 to 2025", None), ("Strategy annex: named families", "2")):
        attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                     data={"paper": "final_draft_strategy", "stage": "final_draft_sign_off",
                                           "title": title, **({"exempt": exempt} if exempt else {})},
                                     files={"file": ("fd.txt", title.encode(), "text/plain")})
        assert attached.status_code == 201, attached.text
    web.account("director_policy")  # votes on MK Together
    web.account("crc_head_of_operations")  # votes on Safer MK, on no other board
    web.account("rural_parish_representative")  # advises Safer MK, in public session
    mk_member, _ = web.signed_in("director_policy")
    boards = mk_member.get("/my-boards", headers=HTML).text
    february = card(boards, "MK Together Management Board (February)")
    assert "Community Safety Strategy 2022 to 2025" in february and "Strategy annex: named families" in february
    safer_mk_member, _ = web.signed_in("crc_head_of_operations")
    boards = safer_mk_member.get("/my-boards", headers=HTML).text
    march = card(boards, "Safer MK Partnership (March)")
    assert "Community Safety Strategy 2022 to 2025" in march and "Strategy annex: named families" in march
    assert boards.count("Community Safety Strategy 2022 to 2025") == 1, "March's business alone"
    # An advisor of Safer MK gets the public final draft for March, never the exempt annex.
    advisor, _ = web.signed_in("rural_parish_representative")
    theirs = advisor.get("/my-boards", headers=HTML).text
    assert "Community Safety Strategy 2022 to 2025" in card(theirs, "Safer MK Partnership (March)")
    assert "Strategy annex: named families" not in theirs
