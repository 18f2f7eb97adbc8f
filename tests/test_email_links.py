"""Links in emails, without servers: which forms a reader is led to, what a template lacks added at its foot,
no links at all when the site's address is not configured, and the setting itself."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications import documents, publication, rescheduling
from notifications.links import MY_WORK, Links, actions, context_links, with_links
from notifications.reminders import Renderer, context
from tasks.app import create_app
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import CYCLE
from workflow.definition.calendar import Timeline
from workflow.definition.loader import load_definition
from workflow.definition.notice_templates import DOCUMENT_SENT, MEETING_CHANGED, PAPERS_PUBLISHED
from workflow.definition.templating import make_environment, reminder_files
from workflow.errors import ConfigurationError
from workflow.settings import Settings, site_address
from workflow.store.models import Cycle, Document, Paper
from workflow.time.clock import at_local
from workflow.time.reminder_times import Occurrence

DEFINITION = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")
SITE = Links("https://cycle.example.org")
STAGE = DEFINITION.stages["assessment_sign_off"]
DECISION_FORM = (f"https://cycle.example.org/cycles/{CYCLE}/decisions/new"
                 "?board=risk_board&item=strategic_assessment")
ATTACH_FORM = f"https://cycle.example.org/cycles/{CYCLE}/papers/new?paper=strategic_assessment"


def test_a_reader_is_led_to_the_forms_their_role_may_use() -> None:
    assert actions(SITE, DEFINITION, CYCLE, STAGE, "committee_manager") == [
        {"text": "Attach the paper \u201cAnnual Strategic Assessment\u201d", "url": ATTACH_FORM},
        {"text": "Record the Risk Board's decision on \u201cAnnual Strategic Assessment\u201d", "url": DECISION_FORM}]
    assert actions(SITE, DEFINITION, CYCLE, STAGE, "head_of_partnerships") == [
        {"text": "Attach the paper \u201cAnnual Strategic Assessment\u201d", "url": ATTACH_FORM}]
    assert actions(SITE, DEFINITION, CYCLE, STAGE, "head_of_partnerships", attached=["strategic_assessment"]) == [], \
        "a paper already attached is not asked for"
    assert actions(SITE, DEFINITION, CYCLE, STAGE, "fire_group_commander") == [], \
        "a board member may neither attach nor record decisions"
    assert actions(Links(), DEFINITION, CYCLE, STAGE, "committee_manager") == [], "no site address, no links"


def _reminder(person: str, links: Links) -> tuple[str, str, str]:
    rule = DEFINITION.reminders["papers_due"]
    occurrence = Occurrence(rule.id, "before", 15, at_local(dt.date(2021, 7, 29), 9))
    papers = [{"title": "Early findings", "sha256": "ab" * 32, "filename": "ef.pdf", "url": links.paper(3)}]
    ctx = context(DEFINITION, CYCLE, 2021, STAGE, rule, occurrence, person, papers, Timeline(DEFINITION, 2021),
                  links=context_links(links, actions(links, DEFINITION, CYCLE, STAGE, person)))
    return Renderer(DEFINITIONS / "templates").render(rule, ctx)


def test_the_papers_due_reminder_links_to_the_attach_form_its_papers_and_my_work() -> None:
    _subject, text, html = _reminder("head_of_partnerships", SITE)
    for part in (text, html.replace("&amp;", "&")):
        assert ATTACH_FORM in part
        assert "https://cycle.example.org/papers/3" in part
        assert "https://cycle.example.org/my-work" in part
    assert f'<a href="{ATTACH_FORM}"' in html


def test_without_a_site_address_an_email_says_nothing_of_links() -> None:
    _subject, text, html = _reminder("head_of_partnerships", Links())
    for part in (text, html):
        assert "http" not in part.replace("https://teams.example.org", ""), "no link, and no made-up address"
        assert "My work" not in part
    assert with_links(text, html, [(MY_WORK, "")]) == (text, html)


def test_a_link_the_template_did_not_place_is_added_at_the_foot_once() -> None:
    text, html = "Dear Priya,\n\nPlease attach the paper.\n", "<html><body><p>Please attach the paper.</p></body></html>"
    wanted = [("Attach the paper \u201cA & B\u201d", ATTACH_FORM), (MY_WORK, SITE.my_work())]
    text2, html2 = with_links(text, html, wanted)
    assert text2.endswith(f"Attach the paper \u201cA & B\u201d: {ATTACH_FORM}\n{MY_WORK}: https://cycle.example.org/my-work\n")
    assert f'<a href="{ATTACH_FORM.replace("&", "&amp;")}"' in html2
    assert "A &amp; B" in html2 and html2.endswith("</body></html>")
    assert with_links(text2, html2, wanted) == (text2, html2), "a link present is not added again"


def test_the_site_address_is_checked_and_reaches_the_workers() -> None:
    assert site_address({}) == ""
    assert site_address({"CYCLE_WEB_BASE_URL": "https://cycle.council.gov.uk/"}) == "https://cycle.council.gov.uk"
    for wrong in ("cycle.council.gov.uk", "ftp://cycle.council.gov.uk", "https://", "https://x.org/?a=b",
                  "https://x.org:port", "https://x.org/ my"):
        with pytest.raises(ConfigurationError, match="CYCLE_WEB_BASE_URL"):
            site_address({"CYCLE_WEB_BASE_URL": wrong})
    settings = Settings.from_env({"CYCLE_WEB_BASE_URL": "https://cycle.council.gov.uk", "CYCLE_DATA_DIR": "/tmp/x"})
    assert create_app(settings).runtime.links == Links("https://cycle.council.gov.uk")  # type: ignore[attr-defined]


def test_each_notice_the_shipped_templates_write_links_my_work_and_what_it_is_about() -> None:
    cycle = Cycle(key=CYCLE, year=2021)
    meeting, day = DEFINITION.meetings["risk_board_august"], dt.date(2021, 8, 19)
    paper = Paper(id=12, title="Annual Strategic Assessment", sha256="ab" * 32, filename="sa.pdf", exempt=False)
    record = Document(id=7, title="Sign-off record: Risk Board signs off the strategic assessment", version="public",
                      pdf_sha256="a" * 64, html_sha256="b" * 64, docx_sha256="c" * 64)
    person = "fire_group_commander"
    notices = {
        PAPERS_PUBLISHED: (publication.notice_context(DEFINITION, cycle, STAGE, person, paper, meeting, day,
                                                      dt.date(2021, 8, 2), SITE), "https://cycle.example.org/papers/12"),
        MEETING_CHANGED: (rescheduling.notice_context(DEFINITION, cycle, DEFINITION.boards["risk_board"], person,
                                                      meeting, day, {"cancelled": False, "reason": "", "sequence": 1},
                                                      SITE), "https://cycle.example.org/my-work"),
        DOCUMENT_SENT: (documents.notice_context(DEFINITION, cycle, DEFINITION.documents["sign_off_record"], record,
                                                 person, SITE),
                        f"https://cycle.example.org/cycles/{CYCLE}/documents#document-7"),
    }
    env = make_environment(DEFINITIONS / "templates")
    for notice, (ctx, about) in notices.items():
        _subject, text, html = (env.get_template(name).render(**ctx) for name in reminder_files(notice))
        for part in (text, html):
            assert about in part and "https://cycle.example.org/my-work" in part, notice
