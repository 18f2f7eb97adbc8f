"""The pages' common ground, through a real HTTP client against uvicorn and PostgreSQL: sign-in, My work,
a fire button that works and one that is refused with the CLI's sentence, the navigation and the headers."""

from __future__ import annotations

from urllib.parse import unquote

from sqlalchemy import func, select

from tests.integration.web.conftest import Site
from workflow.store.models import HistoryEntry

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}


def history(web: Site) -> list[tuple[str, str]]:
    with web.engine.sessions() as session:
        return [(h.action, h.actor) for h in session.scalars(select(HistoryEntry).order_by(HistoryEntry.id))]


def started(web: Site) -> None:
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer, data={"paper": "early_findings"},
                                 files={"file": ("f.txt", b"findings", "text/plain")})
    assert attached.status_code == 201, attached.text


def test_a_page_asked_for_before_signing_in_leads_to_the_sign_in_form_and_back(web: Site) -> None:
    client = web.client()
    asked = client.get("/my-work?x=1", headers=HTML)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/auth/login?next=/my-work%3Fx%3D1"
    form = client.get(asked.headers["location"])
    assert '<label class="govuk-label" for="email">Email address</label>' in form.text
    assert 'name="next" value="/my-work?x=1"' in form.text
    assert "GOV.UK" not in form.text and "crown" not in form.text.lower()


def test_my_work_lists_what_to_do_with_human_titles_and_the_button_that_does_it(web: Site) -> None:
    started(web)
    web.account("committee_manager")
    officer, _ = web.signed_in("head_of_partnerships")
    page = officer.get("/my-work", headers=HTML)
    assert page.status_code == 200
    # The paper is attached; the board must decide first, and My work says who records it.
    assert "There is nothing for you to do" not in page.text
    assert "Nothing is yours to do just now: your next steps wait for others" in page.text
    waiting = page.text.split('id="waiting-for"')[1]
    assert ("The MK Together Management Board&#39;s decision on &#39;Strategic assessment - early findings&#39;"
            in waiting)
    assert "Helen Marsh, committee manager" in waiting
    assert "Tuesday 20 July 2021" in waiting  # waiting since the cycle started, the stage it is at
    assert "Before you can: Early findings discussed at MK Together Management Board" in waiting
    manager, _ = web.signed_in("committee_manager")
    work = manager.get("/my-work", headers=HTML).text
    assert "Record the MK Together Management Board&#39;s decision on &#39;Strategic assessment - early findings&#39;" in work
    assert f'href="/cycles/{CYCLE}/decisions/new?board=mk_together&amp;item=early_findings"' in work
    assert "Overdue" in work and "working days overdue" in work
    assert "Community Safety Strategy" in work and "early_findings" not in work.split("href=")[0]


def test_a_refused_fire_comes_back_to_my_work_with_the_sentence_naming_who_acts(web: Site) -> None:
    started(web)
    officer, csrf = web.signed_in("head_of_partnerships")
    before = history(web)
    refused = officer.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                           data={"trigger": "discuss_early_findings", "back": "my-work", "csrf_token": csrf})
    assert refused.status_code == 303 and refused.headers["location"] == "/my-work"
    shown = officer.get("/my-work", headers=HTML).text
    assert "There is a problem" in shown
    assert ("&#39;Early findings discussed at MK Together Management Board&#39; is not possible yet: the MK Together "
            "Management Board has not yet recorded its decision on &#39;Strategic assessment - early findings&#39;; "
            "Helen Marsh (committee manager) records it.") in shown
    assert "(discuss_early_findings)" not in shown
    assert 'href="#fire-' in shown
    assert history(web) == before


def test_a_fire_button_moves_the_cycle_on_and_says_so_once(web: Site) -> None:
    started(web)
    manager = web.token("committee_manager")
    decided = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager, json={
        "board": "mk_together", "item": "early_findings",
        "votes_for": ["council_chief_executive", "director_childrens_services", "director_policy"]})
    assert decided.status_code == 201, decided.text
    officer, csrf = web.signed_in("head_of_partnerships")
    work = officer.get("/my-work", headers=HTML).text
    assert 'id="fire-' in work and 'name="trigger" value="discuss_early_findings"' in work
    fired = officer.post(f"/cycles/{CYCLE}/fire", headers=HTML,
                         data={"trigger": "discuss_early_findings", "back": "my-work", "csrf_token": csrf})
    assert fired.status_code == 303 and fired.headers["location"] == "/my-work"
    assert "is now at" in unquote(fired.cookies["cycle_notice"])
    shown = officer.get("/my-work", headers=HTML)
    assert "govuk-notification-banner--success" in shown.text and "is now at &#39;" in shown.text
    assert "govuk-notification-banner" not in officer.get("/my-work", headers=HTML).text  # once only
    assert history(web)[-1] == ("fire", "head_of_partnerships")


def test_a_form_posted_without_its_csrf_token_is_refused_and_writes_nothing(web: Site) -> None:
    started(web)
    officer, _ = web.sign_in("head_of_partnerships")
    with web.engine.sessions() as session:
        before = session.scalar(select(func.count()).select_from(HistoryEntry))
    refused = officer.post(f"/cycles/{CYCLE}/fire", headers=HTML, data={"trigger": "discuss_early_findings"})
    assert refused.status_code == 403
    assert "You cannot do this" in refused.text and "CSRF token" in refused.text
    with web.engine.sessions() as session:
        assert session.scalar(select(func.count()).select_from(HistoryEntry)) == before


def test_the_navigation_shows_only_what_the_person_may_use(web: Site) -> None:
    web.account("head_of_partnerships")
    web.account("community_safety_manager", admin=True)
    officer, _ = web.signed_in("head_of_partnerships")
    nav = officer.get("/my-work", headers=HTML).text
    assert ">My work<" in nav and ">Cycles<" in nav
    assert "/definitions" not in nav and "/operations" not in nav and 'href="/accounts"' not in nav
    assert 'href="/tokens"' in nav  # everyone's own API tokens
    admin, _ = web.signed_in("community_safety_manager")
    nav = admin.get("/my-work", headers=HTML).text
    assert 'href="/definitions"' in nav and 'href="/operations"' in nav and 'href="/accounts"' in nav


def test_pages_carry_security_headers_and_the_stylesheet_has_no_gov_uk_font_or_crest(web: Site) -> None:
    client = web.client()
    page = client.get("/auth/login", headers=HTML)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    css = client.get("/static/govuk/govuk-frontend.min.css")
    assert css.status_code == 200 and ".govuk-button" in css.text
    assert "GDS Transport" not in css.text and "crest" not in css.text
    missing = client.get("/no-such-page", headers=HTML)
    assert missing.status_code == 404 and "Page not found" in missing.text
