"""Every email leads to where its reader acts: the emails a real SMTP server (aiosmtpd) received, their links
followed against the real service (uvicorn, PostgreSQL), signed out through the sign-in page and signed in.

One scenario for the module: a cycle of the shipped definition, whose board reminders also go to the committee
manager (who records decisions), is run from July to the Risk Board's reminders in August by the workers'
handlers and sweep in this process, with the site's address as CYCLE_WEB_BASE_URL gives it to them.
"""

from __future__ import annotations

import datetime as dt
import html as markup
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from notifications import publication, reminders
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.documents import Documents
from notifications.links import Links
from notifications.mail import SmtpMailer
from tests.conftest import DEFINITIONS, empty_tables
from tests.helpers import AUTHOR, CLERK, CYCLE, paper_file
from tests.integration.smtp import Received, SmtpServer
from tests.integration.web.conftest import PASSWORD, Site, served_site
from workflow.commands.sweep import Sweeper
from workflow.definition.entitlement import may_see_paper
from workflow.store.models import Mail, OutboxEvent, Paper
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local
from workflow.time.deadlines import plan_stage

HTML = {"Accept": "text/html"}
EXEMPT_TITLE = "Operation NIGHTJAR-7f3a briefing"
URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Scenario:
    site: Site
    received: list[Received]
    mail: dict[str, Mail]  # by Message-ID
    public_paper: Paper
    exempt_paper: Paper

    def of(self, person: str, subject_starts: str) -> list[Received]:
        return [r for r in self.received if self.mail[r.header("Message-ID")].person == person
                and r.header("Subject").strip().startswith(subject_starts)]


def parts(received: Received) -> tuple[str, str]:
    """The text and the HTML part, as a reader's mail client shows them."""
    text = received.message.get_body(preferencelist=("plain",))
    html = received.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def links_in(received: Received) -> tuple[list[str], list[str]]:
    """The addresses in the text part, and the hrefs of the HTML part."""
    text, html = parts(received)
    return URL.findall(text), [markup.unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def path_of(url: str) -> str:
    found = urlsplit(url)
    return found.path + (f"?{found.query}" if found.query else "")


def drain(site: Site, handlers: Handlers, sweeper: Sweeper) -> None:
    with site.engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))
                                  .order_by(OutboxEvent.id)).all()
    for event_id in pending:
        handlers.handle(site.engine, event_id)
    sweeper.sweep()


def carry(site: Site, board: str, item: str) -> None:
    definition = site.engine.catalog.load("community_safety_strategy")
    site.engine.decide(CYCLE, board, item, CLERK, votes_for=list(definition.boards[board].voting),
                       resolution=f"That the {item.replace('_', ' ')} be agreed.")


@pytest.fixture(scope="module")
def scenario(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    folder = tmp_path_factory.mktemp("email-links")
    definitions = folder / "definitions"
    shutil.copytree(DEFINITIONS, definitions, ignore=shutil.ignore_patterns("__pycache__", "rehearsals"))
    yaml = definitions / "community_safety_strategy.yaml"
    source = yaml.read_text(encoding="utf-8")
    told = "    to: [board_voting, board_chair, owner]\n"
    assert told in source
    yaml.write_text(source.replace(told, '    to: [board_voting, board_chair, owner, "role:committee_manager"]\n'),
                    encoding="utf-8")
    smtp = SmtpServer()
    smtp.start()
    try:
        with served_site(pg_url, folder / "data", definitions) as site:
            yield run(site, smtp, folder)
            while site.clients:
                site.clients.pop().close()
    finally:
        smtp.stop()
        empty_tables(pg_url)


def run(site: Site, smtp: SmtpServer, folder: Path) -> Scenario:
    engine, links = site.engine, Links(site.url)  # what the workers are given by CYCLE_WEB_BASE_URL
    store = site.app.state.cycle.documents()
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", lambda session, event, now: plan_stage(engine, session, event, now))
    handlers.on("StageEntered", "reminders", lambda session, event, now: reminders.plan(engine, session, event, now))
    handlers.on("PaperAttached", "papers", publication.publish_action(engine, "example.org", links))
    documents = Documents(engine, store, links)
    handlers.on("GatePassed", "documents", documents.apply, prepare=documents.prepare)
    sweeper = Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org", links)})

    site.clock.set(at_local(dt.date(2021, 7, 13), 16))  # MK Together has met: its early findings are discussed
    engine.start("community_safety_strategy", 2021, AUTHOR)
    drain(site, handlers, sweeper)
    engine.attach(CYCLE, "early_findings", paper_file(folder, "ef"), AUTHOR)
    carry(site, "mk_together", "early_findings")
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    drain(site, handlers, sweeper)  # the sign-off record, sent to its boards
    site.clock.set(at_local(dt.date(2021, 7, 29), 10))  # 15 working days before the Risk Board: papers due
    drain(site, handlers, sweeper)
    engine.attach(CYCLE, "strategic_assessment", paper_file(folder, "sa", "The strategic assessment.\n"), AUTHOR)
    engine.attach(CYCLE, "strategic_assessment", paper_file(folder, "annex", "Named individuals.\n"), AUTHOR,
                  exempt=1, title=EXEMPT_TITLE)
    drain(site, handlers, sweeper)  # each paper published to the members entitled to it
    site.clock.set(at_local(dt.date(2021, 8, 5), 10))  # 10 working days before: the board's reminders
    drain(site, handlers, sweeper)
    Delivery(engine, SmtpMailer(smtp.url), DeliveryPolicy(), store).deliver_due(limit=500)
    with engine.sessions() as session:
        mail = {m.message_id: m for m in session.scalars(select(Mail))}
        papers = list(session.scalars(select(Paper).where(Paper.paper == "strategic_assessment").order_by(Paper.id)))
        for row in (*mail.values(), *papers):
            session.expunge(row)
    assert mail and all(m.status == "sent" for m in mail.values()), [m.last_error for m in mail.values()]
    assert len(smtp.received) == len(mail)
    return Scenario(site, smtp.received, mail, *papers)


def signed_out_follow(site: Site, url: str, person: str) -> httpx.Response:
    """Open `url` not signed in, sign in as `person` on the page it leads to, and open where sign-in leads."""
    client = site.client()
    first = client.get(url, headers=HTML)
    assert first.status_code == 303, first.text
    assert first.headers["location"].startswith("/auth/login?next=")
    form = client.get(first.headers["location"], headers=HTML)
    assert form.status_code == 200
    (kept,) = re.findall(r'name="next" value="([^"]*)"', form.text)
    signed = client.post("/auth/login", headers=HTML, data={
        "email": site.email(person), "password": PASSWORD, "csrf_token": client.cookies["cycle_form"],
        "next": markup.unescape(kept)})
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == path_of(url), "sign-in leads back to the page linked"
    return client.get(signed.headers["location"], headers=HTML)


def account(site: Site, person: str) -> None:
    if not any(a.email == site.email(person) for a in site.accounts.all()):
        site.account(person)


def test_the_papers_due_reminder_leads_through_sign_in_to_the_attach_form_with_its_paper_chosen(
        scenario: Scenario) -> None:
    site = scenario.site
    (reminder,) = scenario.of(AUTHOR, "Papers due: Strategic assessment signed off")
    in_text, in_html = links_in(reminder)
    form = f"{site.url}/cycles/{CYCLE}/papers/new?paper=strategic_assessment"
    assert form in in_text and form in in_html
    account(site, AUTHOR)
    page = signed_out_follow(site, form, AUTHOR)
    assert page.status_code == 200
    assert '<option value="strategic_assessment" selected>' in page.text


def test_the_board_reminder_links_its_papers_and_the_committee_manager_to_the_decision_form(
        scenario: Scenario) -> None:
    site = scenario.site
    decide = f"{site.url}/cycles/{CYCLE}/decisions/new?board=risk_board&item=strategic_assessment"
    (clerks,) = scenario.of(CLERK, "Risk Board: Strategic assessment signed off")
    in_text, in_html = links_in(clerks)
    assert decide in in_text and decide in in_html
    account(site, CLERK)
    page = signed_out_follow(site, decide, CLERK)
    assert page.status_code == 200
    assert "Record a decision" in page.text and "Risk Board" in page.text

    (members,) = scenario.of("fire_group_commander", "Risk Board: Strategic assessment signed off")
    in_text, in_html = links_in(members)
    paper = f"{site.url}/papers/{scenario.public_paper.id}"
    assert paper in in_text and paper in in_html, "the board reminder links the paper it names"
    assert not any("/decisions/new" in url for url in in_text + in_html), "a member does not record decisions"
    account(site, "fire_group_commander")
    client, _csrf = site.sign_in("fire_group_commander")
    opened = client.get(paper)
    assert opened.status_code == 200 and opened.content == b"The strategic assessment.\n"


def test_a_published_paper_email_opens_the_paper_for_an_entitled_member_and_reveals_nothing_to_others(
        scenario: Scenario) -> None:
    site = scenario.site
    definition = site.definition
    exempt_link = f"{site.url}/papers/{scenario.exempt_paper.id}"
    published = [r for r in scenario.received if r.header("Subject").startswith("Paper published")]
    for received in published:
        person = scenario.mail[received.header("Message-ID")].person
        in_text, in_html = links_in(received)
        if exempt_link in in_text + in_html:
            assert may_see_paper(definition, scenario.exempt_paper, person), f"{person} was sent the exempt link"
            assert EXEMPT_TITLE in parts(received)[0]
    for received in scenario.received:  # no email to anyone not entitled names or links the exempt paper
        person = scenario.mail[received.header("Message-ID")].person
        if not may_see_paper(definition, scenario.exempt_paper, person):
            text, html = parts(received)
            assert EXEMPT_TITLE not in text + html and exempt_link not in text + markup.unescape(html)

    (email,) = [r for r in scenario.of("fire_group_commander", "Paper published: Annual Strategic Assessment")]
    link = f"{site.url}/papers/{scenario.public_paper.id}"
    in_text, in_html = links_in(email)
    assert link in in_text and link in in_html
    account(site, "fire_group_commander")
    opened = signed_out_follow(site, link, "fire_group_commander")
    assert opened.status_code == 200 and opened.content == b"The strategic assessment.\n"

    # An advisor of Safer MK, which decides on the assessment in September: in public session only, not entitled.
    outsider = "rural_parish_representative"
    assert not may_see_paper(definition, scenario.exempt_paper, outsider)
    account(site, outsider)
    client, _csrf = site.sign_in(outsider)
    refused = client.get(exempt_link, headers=HTML)
    assert refused.status_code == 404 and EXEMPT_TITLE not in refused.text


def test_the_record_email_links_to_its_row_on_the_documents_page(scenario: Scenario) -> None:
    site = scenario.site
    records = [r for r in scenario.received if scenario.mail[r.header("Message-ID")].kind == "document"]
    assert records
    received = next(r for r in records if scenario.mail[r.header("Message-ID")].person == "director_policy")
    document_id = scenario.mail[received.header("Message-ID")].attachments["documents"][0]["id"]
    link = f"{site.url}/cycles/{CYCLE}/documents#document-{document_id}"
    in_text, in_html = links_in(received)
    assert link in in_text and link in in_html
    account(site, "director_policy")
    page = signed_out_follow(site, link.split("#")[0], "director_policy")
    assert page.status_code == 200 and f'id="document-{document_id}"' in page.text


def test_every_email_links_to_my_work(scenario: Scenario) -> None:
    site = scenario.site
    kinds = {scenario.mail[r.header("Message-ID")].kind for r in scenario.received}
    assert kinds == {"reminder", "papers", "document"}
    for received in scenario.received:
        in_text, in_html = links_in(received)
        assert f"{site.url}/my-work" in in_text and f"{site.url}/my-work" in in_html, received.header("Subject")
        assert all(url.startswith(site.url) or "teams.example.org" in url for url in in_text + in_html)
    account(site, "probation_manager")
    page = signed_out_follow(site, f"{site.url}/my-work", "probation_manager")
    assert page.status_code == 200 and "My work" in page.text


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                       "/\t/evil.example"])
def test_sign_in_refuses_to_send_anyone_to_another_site(scenario: Scenario, elsewhere: str) -> None:
    site = scenario.site
    account(site, AUTHOR)
    client = site.client()
    form = client.get("/auth/login", params={"next": elsewhere}, headers=HTML)
    assert re.findall(r'name="next" value="([^"]*)"', form.text) == ["/"]
    signed = client.post("/auth/login", headers=HTML, data={
        "email": site.email(AUTHOR), "password": PASSWORD, "csrf_token": client.cookies["cycle_form"],
        "next": elsewhere})
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"

