"""Recording a decision from the browser's forms, against uvicorn and PostgreSQL: the register form, the preview
with the outcome by the quorum rule, saving as the signed-in committee manager, refusals beside their fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.integration.web.conftest import Site
from tests.integration.web.test_page_cycles import consulting
from web.pages.words import person_title
from workflow.store.models import Decision

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}
VOTING = ["council_chief_executive", "director_childrens_services", "director_policy", "police_area_commander",
          "ccg_chief_operating_officer", "deputy_director_public_health"]


def started(web: Site) -> None:
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    web.account("committee_manager")


def decisions(web: Site) -> int:
    with web.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Decision)) or 0)


def csrf_of(client: Any) -> str:
    return str(client.get("/api/v1/me").json()["csrf_token"])


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def typed(csrf: str, **changes: str) -> dict[str, Any]:
    """The form as a committee manager fills it: apologies from one member, an interest declared by another."""
    form = {"csrf_token": csrf, "board": "mk_together", "item": "early_findings", "amends": "",
            "meeting-date-day": "13", "meeting-date-month": "7", "meeting-date-year": "2021",
            "resolution": "That the early findings be agreed.", "action": "continue",
            "attendance-head_of_partnerships": "present", "attendance-committee_manager": "present"}
    for person in VOTING:
        form[f"attendance-{person}"] = "present"
        form[f"vote-{person}"] = "for"
    form["attendance-ccg_chief_operating_officer"] = "apologies"
    del form["vote-ccg_chief_operating_officer"]
    form["vote-director_policy"] = "against"
    form["interest-police_area_commander"] = "Sits on the board of a charity named in the findings"
    form.update(changes)
    return form


def test_the_form_lists_the_board_as_a_register_with_the_scheduled_meeting_date(web: Site) -> None:
    started(web)
    manager, _ = web.signed_in("committee_manager")
    page = manager.get(f"/cycles/{CYCLE}/decisions/new?board=mk_together&item=early_findings", headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    assert "MK Together Management Board" in text and "Strategic assessment - early findings" in text
    assert 'name="meeting-date-day" type="text" inputmode="numeric" value="13"' in text  # second Tuesday of July
    assert 'name="meeting-date-month" type="text" inputmode="numeric" value="7"' in text
    assert "Chair (voting)" in text and "Officer (not voting)" in text and "Not voting" in text
    assert 'name="vote-director_policy"' in text and 'name="vote-head_of_partnerships"' not in text
    officer, _ = web.signed_in("head_of_partnerships")  # their account came with their API token
    refused = officer.get(f"/cycles/{CYCLE}/decisions/new?board=mk_together&item=early_findings", headers=HTML)
    assert refused.status_code == 403 and "cannot decide" in refused.text
    posted = officer.post(f"/cycles/{CYCLE}/decisions/new", headers=HTML, data=typed(csrf_of(officer)))
    assert posted.status_code == 403 and "cannot decide" in posted.text and decisions(web) == 0


def test_a_decision_goes_through_the_preview_with_its_outcome_then_is_saved_and_listed(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    preview = manager.post(url, headers=HTML, data=typed(csrf))
    assert preview.status_code == 200, preview.text
    assert "Check the decision before saving it" in preview.text
    assert "Carried" in preview.text and "4 for, 1 against, 0 abstaining; quorum 3" in preview.text
    assert "Tuesday 13 July 2021" in preview.text and "Apologies" in preview.text
    assert "Sits on the board of a charity named in the findings" in preview.text
    assert decisions(web) == 0, "nothing is written before saving"
    kept = hidden_fields(preview.text)
    changed = manager.post(url, headers=HTML, data={**kept, "action": "change"})
    assert changed.status_code == 200 and "Record a decision" in changed.text
    assert 'value="apologies" checked' in changed.text and "Sits on the board of a charity" in changed.text
    saved = manager.post(url, headers=HTML, data={**kept, "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/cycles/{CYCLE}/decisions"
    register = manager.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text
    assert "Decision 1 recorded" in register or "recorded: the MK Together Management Board carried" in register
    assert "That the early findings be agreed." in register and "Tuesday 13 July 2021" in register
    assert "4 for, 1 against, 0 abstaining" in register and "Amend" in register and "Rescind" in register
    with web.engine.sessions() as session:
        row = session.scalars(select(Decision)).one()
        assert row.recorded_by == "committee_manager" and row.outcome == "carried"
        came = {a.person: (a.attendance, a.vote, a.interest) for a in row.attendees}
    assert came["ccg_chief_operating_officer"] == ("apologies", None, None)
    assert came["police_area_commander"][2] == "Sits on the board of a charity named in the findings"
    assert came["head_of_partnerships"] == ("present", None, None)


def test_a_second_decision_on_the_same_item_and_meeting_is_refused_with_the_engines_sentence(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    assert manager.post(url, headers=HTML, data=typed(csrf, action="save")).status_code == 303
    again = manager.post(url, headers=HTML, data=typed(csrf, action="save", **{"vote-director_policy": "for"}))
    assert again.status_code == 422
    assert "There is a problem" in again.text and 'href="#meeting-date"' in again.text
    assert "already has decision" in again.text and "record an amendment" in again.text
    assert f'href="/cycles/{CYCLE}/decisions/new?board=mk_together&amp;item=early_findings&amp;amends=1">Amend decision 1 instead' in again.text
    assert 'value="Sits on the board of a charity named in the findings"' in again.text  # kept as typed
    assert decisions(web) == 1


def test_a_decision_for_a_meeting_still_to_come_is_refused_beside_the_date(web: Site) -> None:
    started(web)  # the site's clock says 20 July 2021
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    ahead = manager.post(url, headers=HTML, data=typed(csrf, action="save", **{"meeting-date-month": "8"}))
    assert ahead.status_code == 422
    assert "There is a problem" in ahead.text and 'href="#meeting-date"' in ahead.text
    assert ("has not met yet: the meeting date given is 13 August 2021 and today is 20 July 2021"
            in " ".join(ahead.text.split()))
    assert decisions(web) == 0


def test_bad_input_is_shown_beside_its_field_and_nothing_is_written(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    bad = manager.post(url, headers=HTML, data=typed(csrf, **{"meeting-date-day": "31", "meeting-date-month": "2",
                                                             "interest-ccg_chief_operating_officer": "x"}))
    assert bad.status_code == 422
    assert "The meeting date must be a real date" in bad.text
    assert 'href="#interest-ccg_chief_operating_officer"' in bad.text
    stranger = manager.post(url, headers=HTML, data=typed(csrf, action="save", board="no_such_board"))
    assert stranger.status_code == 422 and "there is no board" in stranger.text.lower()
    assert decisions(web) == 0


def test_a_decision_is_amended_and_another_rescinded_and_both_stay_in_the_register(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    assert manager.post(url, headers=HTML, data=typed(csrf, action="save")).status_code == 303
    form = manager.get(f"{url}?board=mk_together&item=early_findings&amends=1", headers=HTML).text
    assert "Amend decision 1" in form and "Why decision 1 is amended" in form
    no_reason = manager.post(url, headers=HTML, data=typed(csrf, action="save", amends="1"))
    assert no_reason.status_code == 422 and "Say why decision 1 is amended" in no_reason.text
    amended = manager.post(url, headers=HTML, data=typed(csrf, action="save", amends="1",
                                                         reason="The vote of the Director of Policy was misrecorded",
                                                         **{"vote-director_policy": "for"}))
    assert amended.status_code == 303, amended.text
    rescinded = manager.post(f"/cycles/{CYCLE}/decisions/2/rescind", headers=HTML,
                             data={"csrf_token": csrf, "reason": "", "meeting-date-day": "20",
                                   "meeting-date-month": "7", "meeting-date-year": "2021"})
    assert rescinded.status_code == 422 and "Say why decision 2 is rescinded" in rescinded.text
    rescinded = manager.post(f"/cycles/{CYCLE}/decisions/2/rescind", headers=HTML,
                             data={"csrf_token": csrf, "reason": "Taken on a paper since withdrawn",
                                   "meeting-date-day": "20", "meeting-date-month": "7", "meeting-date-year": "2021"})
    assert rescinded.status_code == 303
    register = manager.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text
    assert "Amends decision 1: The vote of the Director of Policy was misrecorded" in register
    assert "Rescinds decision 2: Taken on a paper since withdrawn" in register
    assert register.count("Superseded") == 2 and "Rescinded" in register
    assert decisions(web) == 3


def test_the_register_form_and_banner_name_an_item_by_its_title_never_its_id(web: Site, tmp_path: Path) -> None:
    consulting(web, tmp_path)  # the Risk Board agreed the priorities in September
    web.account("committee_manager")
    manager, csrf = web.signed_in("committee_manager")
    register = manager.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text
    rows = register.split("<tbody")[1]
    assert "Priorities for the Community Safety Strategy" in rows and ">priorities<" not in rows
    form = manager.get(f"/cycles/{CYCLE}/decisions/new?board=risk_board&item=priorities", headers=HTML).text
    assert "Priorities for the Community Safety Strategy" in form
    members = [p for p, _ in web.definition.boards["risk_board"].members]
    voting = web.definition.boards["risk_board"].voting
    typed_in = {"csrf_token": csrf, "board": "risk_board", "item": "priorities", "amends": "",
                "meeting-date-day": "22", "meeting-date-month": "9", "meeting-date-year": "2021",  # a day held
                "resolution": "That the priorities be confirmed.", "action": "save",
                **{f"attendance-{p}": "present" for p in members}, **{f"vote-{p}": "for" for p in voting}}
    saved = manager.post(f"/cycles/{CYCLE}/decisions/new", headers=HTML, data=typed_in)
    assert saved.status_code == 303, saved.text
    banner = manager.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text.split("govuk-notification-banner__heading")[1]
    banner = banner.split("</p>")[0]
    assert "the Risk Board carried &#39;Priorities for the Community Safety Strategy&#39;" in banner
    assert "&#39;priorities&#39;" not in banner


def chosen(html: str) -> dict[str, str]:
    """The radios the page shows chosen, as the browser would post them."""
    return dict(re.findall(r'name="((?:attendance|vote)-[^"]+)" type="radio" value="([^"]+)" checked', html))


def test_nobody_is_assumed_present_and_every_problem_is_listed_at_once(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    form = manager.get(f"{url}?board=mk_together&item=early_findings", headers=HTML).text
    assert chosen(form) == {}, "attendance is unknown until the committee manager says it"
    left = typed(csrf, resolution="", **{"meeting-date-day": "32"})
    del left["attendance-director_policy"], left["attendance-committee_manager"]
    refused = manager.post(url, headers=HTML, data=left)
    assert refused.status_code == 422
    summary = refused.text.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    links = re.findall(r'href="#([^"]+)"', summary)
    # Every problem at once, in the page's order, each linked to its field.
    assert links == ["meeting-date", "attendance-director_policy", "vote-director_policy",
                     "attendance-committee_manager", "resolution"], links
    manager_title = person_title(web.definition, "committee_manager")
    assert f"Say whether {manager_title} was present, sent apologies or was absent." in summary
    assert 'id="attendance-director_policy-error"' in refused.text and 'id="resolution-error"' in refused.text
    assert decisions(web) == 0


def test_all_voting_members_present_then_all_present_voted_for_fill_in_only_what_is_not_chosen(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    base = {"csrf_token": csrf, "board": "safer_mk", "item": "strategic_assessment", "amends": "",
            "meeting-date-day": "23", "meeting-date-month": "9", "meeting-date-year": "2021",
            "resolution": "That the strategic assessment be noted."}
    voting = web.definition.boards["safer_mk"].voting
    others = [p for p, _ in web.definition.boards["safer_mk"].members if p not in voting]
    marked = manager.post(url, headers=HTML, data={**base, "attendance-fire_group_commander": "apologies",
                                                    "action": "all-present"})
    assert marked.status_code == 200 and "There is a problem" not in marked.text
    now = chosen(marked.text)
    assert now == {**{f"attendance-{p}": "present" for p in voting}, "attendance-fire_group_commander": "apologies"}
    everyone = {**base, **now, **{f"attendance-{p}": "present" for p in others},
                "vote-crc_head_of_operations": "against", "vote-observer_councillor_a": "for"}  # an observer's vote
    voted = manager.post(url, headers=HTML, data={**everyone, "action": "all-for"})
    now = chosen(voted.text)
    assert {p: v for p, v in now.items() if p.startswith("vote-")} == {
        "vote-council_chief_executive": "for", "vote-ccg_chief_operating_officer": "for",
        "vote-police_area_commander": "for", "vote-probation_manager": "for",
        "vote-crc_head_of_operations": "against"}, "kept the vote against; none for the member sending apologies"
    assert 'name="vote-observer_councillor_a"' not in voted.text  # observers never vote
    preview = manager.post(url, headers=HTML, data={**everyone, **now, "action": "continue"})
    assert preview.status_code == 200, preview.text
    assert "4 for, 1 against, 0 abstaining; quorum 3" in preview.text, "the observer's vote is not counted"
    assert decisions(web) == 0


def test_the_priorities_agreed_are_checked_by_the_clis_rule_and_recorded_with_the_decision(
        web: Site, tmp_path: Path) -> None:
    consulting(web, tmp_path)
    web.account("committee_manager")
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    assert 'name="priorities"' not in manager.get(f"{url}?board=mk_together&item=early_findings", headers=HTML).text
    form = manager.get(f"{url}?board=risk_board&item=priorities", headers=HTML).text
    assert "Priorities agreed" in form and 'name="priorities"' in form
    members = [p for p, _ in web.definition.boards["risk_board"].members]
    voting = web.definition.boards["risk_board"].voting
    filled = {"csrf_token": csrf, "board": "risk_board", "item": "priorities", "amends": "",
              "meeting-date-day": "22", "meeting-date-month": "9", "meeting-date-year": "2021",
              "resolution": "That the priorities be agreed.", "action": "continue",
              **{f"attendance-{p}": "present" for p in members}, **{f"vote-{p}": "for" for p in voting}}
    bad = manager.post(url, headers=HTML, data={**filled, "resolution": "", "priorities":
                                                "Serious violence: remain a priority\nCyber crime\n\n: new priority"})
    assert bad.status_code == 422
    assert 'href="#priorities">Line 2: &#39;Cyber crime&#39; should read &#39;priority: recommendation&#39;' in bad.text
    assert "line 4: &#39;: new priority&#39; should read" in bad.text and 'href="#resolution"' in bad.text
    agreed = "Serious violence: remain a priority\r\nCyber crime: new priority\r\nHate crime: further work"
    preview = manager.post(url, headers=HTML, data={**filled, "priorities": agreed})
    assert preview.status_code == 200, preview.text
    listed = preview.text.split('id="priorities"')[1].split("</dd>")[0]
    assert "<li>Cyber crime: new priority</li>" in listed and "<li>Hate crime: further work</li>" in listed
    saved = manager.post(url, headers=HTML, data={**hidden_fields(preview.text), "action": "save"})
    assert saved.status_code == 303, saved.text
    register = manager.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text
    assert "Priorities agreed:" in register and "<li>Hate crime: further work</li>" in register
    history = manager.get(f"/cycles/{CYCLE}/history", headers=HTML).text
    assert "Risk Board&#39;s decision on &#39;Priorities for the Community Safety Strategy&#39;" in history
    assert "decision on &#39;priorities&#39;" not in history
    status = web.client().get(f"/api/v1/cycles/{CYCLE}", headers=web.token("head_of_partnerships")).json()
    assert status["decisions"][-1]["priorities"] == [
        {"title": "Serious violence", "recommendation": "remain a priority"},
        {"title": "Cyber crime", "recommendation": "new priority"},
        {"title": "Hate crime", "recommendation": "further work"}]


def test_a_deferral_is_recorded_from_the_form_whatever_the_votes(web: Site) -> None:
    started(web)
    manager, csrf = web.signed_in("committee_manager")
    url = f"/cycles/{CYCLE}/decisions/new"
    form = manager.get(f"{url}?board=mk_together&item=early_findings", headers=HTML).text
    assert 'name="defer" type="checkbox" value="yes"' in form and "The board deferred the item" in form
    preview = manager.post(url, headers=HTML, data=typed(csrf, defer="yes"))
    assert preview.status_code == 200, preview.text
    assert "Deferred" in preview.text and "the board deferred the item" in preview.text
    assert hidden_fields(preview.text)["defer"] == "yes"  # carried through the preview
    saved = manager.post(url, headers=HTML, data={**hidden_fields(preview.text), "action": "save"})
    assert saved.status_code == 303
    with web.engine.sessions() as session:
        assert session.scalars(select(Decision.outcome)).one() == "deferred"
