"""The Cycles list, a cycle's Overview and its History, through a real HTTP client against uvicorn and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import select

from tests.helpers import meet
from tests.integration.web.conftest import PASSWORD, Site
from workflow.store.models import HistoryEntry

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}
MK_TOGETHER_VOTES = ["council_chief_executive", "director_childrens_services", "director_policy"]
NOT_DECIDED = ("MK Together Management Board has not yet recorded its decision on "
               "&#39;Strategic assessment - early findings&#39;; Helen Marsh (committee manager) records it")


def history(web: Site) -> list[tuple[str, str]]:
    with web.engine.sessions() as session:
        return [(h.action, h.actor) for h in session.scalars(select(HistoryEntry).order_by(HistoryEntry.id))]


def start(web: Site, year: int = 2021) -> dict[str, str]:
    officer = web.token("head_of_partnerships")
    started = web.client().post("/api/v1/cycles", headers=officer,
                                json={"definition": "community_safety_strategy", "year": year})
    assert started.status_code == 201, started.text
    return officer


def attach(web: Site, officer: dict[str, str], **fields: str) -> None:
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                 data={"paper": "early_findings", **fields},
                                 files={"file": ("f.txt", b"findings", "text/plain")})
    assert attached.status_code == 201, attached.text


def decide(web: Site) -> None:
    decided = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=web.token("committee_manager"),
                                json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES})
    assert decided.status_code == 201, decided.text


def test_cycles_lists_each_cycle_with_its_stage_due_date_and_what_holds_it_up_and_filters_them(web: Site) -> None:
    start(web, 2021)
    start(web, 2022)
    officer, _ = web.signed_in("head_of_partnerships")
    page = officer.get("/cycles", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "2 of 2 cycles" in text
    assert f'href="/cycles/{CYCLE}"' in text and 'href="/cycles/community_safety_strategy-2022"' in text
    assert "Community Safety Strategy, 2021 to 2022" in text
    assert "Early findings of the strategic assessment discussed" in text
    assert "Wednesday 28 July 2021" in text or "July 2021" in text
    assert "govuk-tag--red" in text and "working days overdue" in text  # the 2021 cycle is past its July board
    assert NOT_DECIDED + "." in text  # the CLI's gate sentence, as `cycle status` prints it
    assert "early_findings" not in text.split("<tbody")[1].replace(f"/cycles/{CYCLE}", "")

    overdue = officer.get("/cycles?overdue=yes", headers=HTML).text
    assert "1 of 2 cycles" in overdue and f'href="/cycles/{CYCLE}"' in overdue
    assert 'id="overdue" name="overdue" type="checkbox" value="yes" checked' in overdue
    year = officer.get("/cycles?year=2022", headers=HTML).text
    assert "1 of 2 cycles" in year and "community_safety_strategy-2022" in year and f"/cycles/{CYCLE}\"" not in year
    assert '<option value="2022" selected>' in year
    board = officer.get("/cycles?board=risk_board", headers=HTML).text
    assert "0 of 2 cycles" in board and "No cycle matches these filters." in board
    waiting = officer.get("/cycles?board=mk_together&definition=community_safety_strategy", headers=HTML).text
    assert "2 of 2 cycles" in waiting


def test_the_overview_shows_where_the_cycle_stands_and_each_gate_met_or_what_is_missing(web: Site) -> None:
    officer_token = start(web)
    attach(web, officer_token)
    officer, _ = web.signed_in("head_of_partnerships")
    page = officer.get(f"/cycles/{CYCLE}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    for link in ("", "/papers", "/decisions", "/history", "/documents", "/mail"):
        assert f'href="/cycles/{CYCLE}{link}"' in text
    assert "Early findings of the strategic assessment discussed" in text
    assert "MK Together Management Board" in text
    assert "Early findings discussed at MK Together Management Board" in text  # the trigger's title
    assert "Not yet" in text and NOT_DECIDED + "." in text
    assert "govuk-tag--green\">Met</strong> Papers attached: Strategic assessment - early findings" in text
    assert 'name="back" value="cycle"' in text and 'value="discuss_early_findings"' in text
    assert "Coming up" in text
    # The picture scrolls in a box of its own that a keyboard can reach, so it keeps its size on a phone.
    picture = text.split('<div class="app-picture" role="region" aria-label="Timeline" tabindex="0">')[1].split(
        "</svg>")[0]
    assert picture.startswith("<svg") and "Today, 20 Jul 2021" in picture
    assert "Timeline of Community Safety Strategy, 2021 to 2022; today is 20 July 2021" in picture

    decide(web)
    after = officer.get(f"/cycles/{CYCLE}", headers=HTML).text
    assert NOT_DECIDED not in after
    assert "govuk-tag--green\">Met</strong> MK Together Management Board carries" in after


def test_firing_from_the_cycle_page_moves_it_on_and_comes_back_to_it(web: Site) -> None:
    attach(web, start(web))
    decide(web)
    officer, csrf = web.signed_in("head_of_partnerships")
    fired = officer.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                         data={"trigger": "discuss_early_findings", "back": "cycle", "csrf_token": csrf})
    assert fired.status_code == 303 and fired.headers["location"] == f"/cycles/{CYCLE}"
    assert "is now at" in unquote(fired.cookies["cycle_notice"])
    shown = officer.get(f"/cycles/{CYCLE}", headers=HTML).text
    assert "govuk-notification-banner--success" in shown
    assert "Strategic assessment signed off" in shown
    assert history(web)[-1] == ("fire", "head_of_partnerships")


def test_a_refused_fire_comes_back_to_the_cycle_page_with_the_sentence_beside_its_button(web: Site) -> None:
    attach(web, start(web))
    officer, csrf = web.signed_in("head_of_partnerships")
    before = history(web)
    refused = officer.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                           data={"trigger": "discuss_early_findings", "back": "cycle", "csrf_token": csrf})
    # Post, redirect, get: the address after a refusal is the cycle page's, never the POST's /fire.
    assert refused.status_code == 303 and refused.headers["location"] == f"/cycles/{CYCLE}"
    shown = officer.get(refused.headers["location"], headers=HTML)
    assert shown.status_code == 200 and str(shown.url).endswith(f"/cycles/{CYCLE}")
    text = shown.text
    assert "There is a problem" in text and "What you can do next" in text  # the cycle page, again
    control = "fire-1-discuss_early_findings"
    # The refusal names who can act and what they must do.
    sentence = f"&#39;Early findings discussed at MK Together Management Board&#39; is not possible yet: the {NOT_DECIDED}."
    beside = text.split(f'id="{control}-error"')[1].split("</p>")[0]
    assert "discuss_early_findings" not in beside  # the refusal names the step by its title, never its id
    assert sentence in beside and f'aria-describedby="{control}-error"' in text
    assert f'href="#{control}"' in text
    assert "There is a problem" not in officer.get(f"/cycles/{CYCLE}", headers=HTML).text  # shown once
    assert history(web) == before

    web.account("director_policy")
    member, member_csrf = web.signed_in("director_policy")
    lacking = member.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                          data={"trigger": "discuss_early_findings", "back": "cycle", "csrf_token": member_csrf},
                          follow_redirects=True)
    assert lacking.status_code == 200 and str(lacking.url).endswith(f"/cycles/{CYCLE}")
    assert "needs one of the roles report_author; you hold board_member." in lacking.text
    assert "What you can do next" in lacking.text
    assert "Nothing at this stage is yours to move on." in lacking.text
    assert history(web) == before


def test_an_unmet_gate_links_to_the_form_that_meets_it_filled_in(web: Site) -> None:
    start(web)
    web.account("committee_manager")
    officer, _ = web.signed_in("head_of_partnerships")
    text = officer.get(f"/cycles/{CYCLE}", headers=HTML).text
    assert "these papers are not attached yet" not in text  # said as a sentence, with who attaches it
    assert ("These papers are not attached yet: &#39;Strategic assessment - early findings&#39;; Priya Shah "
            "(report author) attaches it.") in text
    link = f'href="/cycles/{CYCLE}/papers/new?paper=early_findings">Attach ‘Strategic assessment - early findings’</a>'
    assert link in text
    assert "/decisions/new" not in text  # the author cannot record the board's decision: the sentence names who can
    form = officer.get(f"/cycles/{CYCLE}/papers/new?paper=early_findings", headers=HTML).text
    assert '<option value="early_findings" selected>' in form

    manager, _ = web.signed_in("committee_manager")
    text = manager.get(f"/cycles/{CYCLE}", headers=HTML).text
    assert "What this stage waits for from you" in text and NOT_DECIDED + "." in text
    href = f"/cycles/{CYCLE}/decisions/new?board=mk_together&amp;item=early_findings"
    assert f'href="{href}">Record the MK Together Management Board’s decision</a>' in text
    form = manager.get(href.replace("&amp;", "&"), headers=HTML).text
    assert "MK Together Management Board" in form and "Strategic assessment - early findings" in form
    assert 'name="board" value="mk_together"' in form and 'name="item" value="early_findings"' in form
    # A form asked for with a board the definition lacks: the sentence, and a way back to the cycle.
    wrong = manager.get(f"/cycles/{CYCLE}/decisions/new?board=no_such_board&item=early_findings", headers=HTML)
    assert wrong.status_code == 422 and "there is no board" in wrong.text.lower()
    assert f'href="/cycles/{CYCLE}">Back to the cycle</a>' in wrong.text


def test_a_person_not_in_the_cycles_directory_gets_page_not_found(web: Site) -> None:
    start(web)
    # In the directory of the PSPO definition only, not the strategy the cycle runs.
    web.accounts.add("business.systems@example.org", password=PASSWORD, admin=False, by="test")
    client = web.client()
    form = client.get("/auth/login")
    signed = client.post("/auth/login", data={"email": "business.systems@example.org", "password": PASSWORD,
                                              "csrf_token": form.cookies["cycle_form"]})
    assert signed.status_code == 303
    for path in (f"/cycles/{CYCLE}", f"/cycles/{CYCLE}/history", "/cycles/no_such-2021"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 404, path
        assert "Page not found" in page.text and "there is no cycle" in page.text.lower()
    assert "Community Safety Strategy" not in client.get("/cycles", headers=HTML).text


def test_history_reads_as_sentences_and_hides_an_exempt_papers_words_from_the_unentitled(web: Site) -> None:
    officer_token = start(web)
    attach(web, officer_token, exempt="7", title="Named offenders", comment="Names the Named offenders")
    decide(web)
    officer, csrf = web.signed_in("head_of_partnerships")
    officer.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                 data={"trigger": "discuss_early_findings", "back": "cycle", "csrf_token": csrf,
                       "comment": "Discussed in July"})
    page = officer.get(f"/cycles/{CYCLE}/history", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert ("Fired &#39;Early findings discussed at MK Together Management Board&#39;: &#39;Early findings of the "
            "strategic assessment discussed&#39; to &#39;Strategic assessment signed off&#39;") in text
    assert "Discussed in July" in text
    assert "Sam Okafor" in text or "Head of Partnerships" in text
    assert "Tuesday 20 July 2021 at" in text
    assert "Recorded the MK Together Management Board&#39;s decision on" in text
    assert "aria-current=\"page\"" in text.split("History</h2>")[0]

    web.account("probation_manager")  # sits on the Risk Board, not the MK Together board the paper is for
    other, _ = web.signed_in("probation_manager")
    withheld = other.get(f"/cycles/{CYCLE}/history", headers=HTML).text
    assert "Attached an exempt paper for &#39;Strategic assessment - early findings&#39; (withheld from you)" in withheld
    assert "Named offenders" not in withheld
    web.account("director_policy")
    entitled, _ = web.signed_in("director_policy")
    assert "Names the Named offenders" in entitled.get(f"/cycles/{CYCLE}/history", headers=HTML).text


def consulting(web: Site, tmp_path: Path) -> None:
    """The 2021 cycle moved on, as its officer and committee manager would, to its consultation and its strands."""
    start(web)
    engine, definition = web.engine, web.definition
    steps = [("early_findings", ["early_findings"], "mk_together", "discuss_early_findings"),
             ("strategic_assessment", ["strategic_assessment"], "risk_board", "sign_off_assessment"),
             ("strategic_assessment", [], "safer_mk", "present_assessment"),
             ("priorities", ["recommended_priorities", "consultation_plan"], "risk_board", "agree_priorities")]
    for item, papers, board, trigger in steps:
        for paper in papers:
            path = tmp_path / f"{paper}.txt"
            path.write_text("A paper for the board.\n", encoding="utf-8")
            engine.attach(CYCLE, paper, path, "head_of_partnerships")
        meet(engine, board, item)  # on the day the board meets, as a committee manager records it
        engine.decide(CYCLE, board, item, "committee_manager", votes_for=list(definition.boards[board].voting))
        engine.fire(CYCLE, trigger, "head_of_partnerships")


def test_the_strands_of_the_stage_show_their_state_and_move_on_from_their_buttons(web: Site, tmp_path: Path) -> None:
    consulting(web, tmp_path)
    officer, csrf = web.signed_in("head_of_partnerships")
    page = officer.get(f"/cycles/{CYCLE}", headers=HTML).text
    strands = page.split('id="strands"')[1]
    assert "SaferMK Community Safety Survey (online)" in strands and "Parish and Town Councils" in strands
    assert 'name="strand" value="online_survey"' in strands and 'value="launch"' in strands
    # Closing the consultation is the scheduler's, in January: no button for it; the strands' buttons are hers.
    assert "Nothing at this stage is yours to move on." not in page and 'value="close_consultation"' not in page
    assert "Move the strands of this stage on" in page
    # Each strand button reads the definition's words for the action, never its trigger.
    assert "Open the survey" in strands and "Record the sessions as held" in strands
    assert ">launch<" not in strands and ">hold<" not in strands and "Launch" not in strands
    moved = officer.post(f"/cycles/{CYCLE}/fire", headers=HTML, data={
        "trigger": "launch", "strand": "online_survey", "back": "cycle", "csrf_token": csrf})
    assert moved.status_code == 303 and moved.headers["location"] == f"/cycles/{CYCLE}"
    after = officer.get(f"/cycles/{CYCLE}", headers=HTML).text.split('id="strands"')[1]
    survey = after.split("SaferMK Community Safety Survey (online)")[1].split("</tr>")[0]
    assert "Open" in survey and 'value="close"' in survey
    assert history(web)[-1] == ("fire", "head_of_partnerships")


def test_cycles_come_fifty_to_a_page_the_filters_kept_and_a_page_past_the_end_answered_in_a_sentence(
        web: Site) -> None:
    for year in range(2000, 2060):  # sixty cycles; those of 2000 to 2021 are past their first board
        web.engine.start("community_safety_strategy", year, "head_of_partnerships")
    web.account("head_of_partnerships")
    officer, _ = web.sign_in("head_of_partnerships")

    def shown(text: str) -> list[int]:
        return [y for y in range(2000, 2060) if f'href="/cycles/community_safety_strategy-{y}"' in text]

    first = officer.get("/cycles", headers=HTML).text
    assert "60 of 60 cycles" in first and "Showing 1 to 50 of 60 cycles" in first
    assert shown(first) == list(range(2000, 2050))
    assert 'href="/cycles?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = officer.get("/cycles?page=2", headers=HTML).text
    assert "Showing 51 to 60 of 60 cycles" in second and shown(second) == list(range(2050, 2060))
    assert 'href="/cycles" rel="prev"' in second and 'rel="next"' not in second
    assert 'aria-label="Page 2" aria-current="page"' in second

    by_board = officer.get("/cycles?board=mk_together", headers=HTML).text  # every one waits on MK Together
    assert "Showing 1 to 50 of 60 cycles" in by_board
    assert 'href="/cycles?board=mk_together&amp;page=2" rel="next"' in by_board
    assert shown(officer.get("/cycles?board=mk_together&page=2", headers=HTML).text) == list(range(2050, 2060))
    overdue = officer.get("/cycles?overdue=yes", headers=HTML).text
    assert "22 of 60 cycles" in overdue and "Showing" not in overdue  # one page: the caption says it all
    assert shown(overdue) == list(range(2000, 2022)) and "govuk-pagination__list" not in overdue
    assert "1 of 60 cycles" in officer.get("/cycles?year=2055", headers=HTML).text

    past = officer.get("/cycles?overdue=yes&page=2", headers=HTML)
    assert past.status_code == 404
    assert "There is no page 2 of these cycles: the 22 there are fill page 1." in past.text
    assert "pages 1 to 2" in officer.get("/cycles?page=3", headers=HTML).text
    for asked in ("0", "two", "-1"):
        refused = officer.get(f"/cycles?page={asked}", headers=HTML)
        assert refused.status_code == 422, asked
        assert "The page number is a whole number from 1, such as 2" in refused.text
