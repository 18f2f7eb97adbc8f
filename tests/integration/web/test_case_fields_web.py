"""Case details on the web: the start form and the Case details page ask for the fields and show every problem
beside its field at once; the API answers 422 naming each; a reader not entitled to the case sees no personal value."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from notifications import reminders
from tests.conftest import empty_tables
from tests.integration.web.conftest import PASSWORD, Site, served_site
from tests.test_case_fields import folder
from web.cli import main
from workflow.commands.sweep import Sweeper
from workflow.store.models import CaseFieldValue, Cycle, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local
from workflow.time.deadlines import plan_stage

HTML = {"Accept": "text/html"}
EMAILS = {"officer_a": "officer@example.org", "clerk_b": "clerk@example.org", "observer_d": "observer@example.org",
          "scribe_e": "scribe@example.org"}
CYCLE = "case_review-2026"


@pytest.fixture(scope="module")
def case_site(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = Path(tmp_path_factory.mktemp("case_web"))
    with served_site(pg_url, base / "data", definitions_dir=folder(base)) as found:
        found.clock.set(found.clock.now().replace(year=2026))
        yield found


@pytest.fixture
def web(case_site: Site, pg_url: str) -> Iterator[Site]:
    yield case_site
    case_site.end_test()
    empty_tables(pg_url)


def signed_in(web: Site, person: str) -> tuple[httpx.Client, str]:
    web.accounts.add(EMAILS[person], password=PASSWORD, admin=False, by="test")
    return web.signed_in_as(EMAILS[person])


def test_the_start_form_asks_for_the_fields_and_names_every_problem_beside_its_field(web: Site) -> None:
    officer, csrf = signed_in(web, "officer_a")
    form = officer.get("/cycles/start", headers=HTML)
    assert 'name="field_subject_name"' in form.text and "Kind of review (optional)" in form.text
    refused = officer.post("/cycles/start", headers=HTML, data={
        "definition": "case_review", "year": "2026", "csrf_token": csrf,
        "field_date_of_death": "14/03/2026", "field_panel_size": "many"})
    assert refused.status_code == 422
    for control, sentence in (("field_subject_name", "Enter name of the person who died: it is needed to start"),
                              ("field_date_of_death", "Date of death must be a real date"),
                              ("field_panel_size", "Panel size must be a number")):
        assert f'id="{control}-error"' in refused.text and f'href="#{control}"' in refused.text
        assert sentence in refused.text
    assert 'value="14/03/2026"' in refused.text  # what was typed is shown again
    with web.engine.sessions() as session:
        assert session.scalars(select(Cycle)).first() is None
    started = officer.post("/cycles/start", headers=HTML, data={
        "definition": "case_review", "year": "2026", "csrf_token": csrf,
        "field_subject_name": "Alex Example", "field_date_of_death": "2026-03-14", "field_review_kind": "full"})
    assert started.status_code == 303 and started.headers["location"] == f"/cycles/{CYCLE}"
    overview = officer.get(f"/cycles/{CYCLE}", headers=HTML)
    assert "Case details" in overview.text and "Alex Example" in overview.text


def test_the_case_details_page_sets_fields_and_hides_personal_values_from_the_unentitled(web: Site) -> None:
    web.engine.start("case_review", 2026, "officer_a", fields={"subject_name": "Alex Example",
                                                                "date_of_death": "2026-03-14"})
    clerk, csrf = signed_in(web, "clerk_b")
    page = clerk.get(f"/cycles/{CYCLE}/fields", headers=HTML)
    assert page.status_code == 200 and 'value="Alex Example"' in page.text
    refused = clerk.post(f"/cycles/{CYCLE}/fields", headers=HTML, data={
        "csrf_token": csrf, "field_family_contact_email": "nobody at example", "field_review_kind": "medium",
        "field_panel_size": "4"})
    assert refused.status_code == 422
    assert 'id="field_family_contact_email-error"' in refused.text and 'id="field_review_kind-error"' in refused.text
    assert "Kind of review must be one of: full, short" in refused.text
    with web.engine.sessions() as session:
        assert session.scalars(select(CaseFieldValue).where(CaseFieldValue.name == "panel_size")).first() is None
    saved = clerk.post(f"/cycles/{CYCLE}/fields", headers=HTML, data={"csrf_token": csrf, "field_panel_size": "4"})
    assert saved.status_code == 303
    assert "Saved: panel size" in clerk.get(saved.headers["location"], headers=HTML).text

    observer, _ = signed_in(web, "observer_d")  # observes the panel in public session only
    seen = observer.get(f"/cycles/{CYCLE}/fields", headers=HTML)
    assert seen.status_code == 200 and "Alex Example" not in seen.text and "(withheld)" in seen.text
    assert 'name="field_' not in seen.text  # nothing to set
    assert "Alex Example" not in observer.get(f"/cycles/{CYCLE}", headers=HTML).text
    assert "Alex Example" not in observer.get(f"/cycles/{CYCLE}/history", headers=HTML).text
    status = observer.get(f"/api/v1/cycles/{CYCLE}").json()
    assert {f["id"]: f["value"] for f in status["fields"]}["subject_name"] == "(withheld)"
    assert "Alex Example" not in observer.get(f"/api/v1/cycles/{CYCLE}/fields").text


def test_the_api_refuses_bad_values_with_422_naming_each_field(web: Site) -> None:
    officer, csrf = signed_in(web, "officer_a")
    headers = {"X-CSRF-Token": csrf}
    refused = officer.post("/api/v1/cycles", headers=headers, json={
        "definition": "case_review", "year": 2026, "fields": {"subject_name": "Alex Example",
                                                              "date_of_death": "2026-02-30"}})
    assert refused.status_code == 422
    assert refused.json()["problems"] == [{"field": "date_of_death", "message": "Date of death must be a real date "
                                           "written as year-month-day, like 2026-03-14"}]
    started = officer.post("/api/v1/cycles", headers=headers, json={
        "definition": "case_review", "year": 2026, "fields": {"subject_name": "Alex Example",
                                                              "date_of_death": "2026-03-14"}})
    assert started.status_code == 201, started.text
    bad = officer.patch(f"/api/v1/cycles/{CYCLE}/fields", headers=headers,
                        json={"fields": {"panel_size": "x", "colour": "red"}})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["problems"]} == {"panel_size", "colour"}
    good = officer.patch(f"/api/v1/cycles/{CYCLE}/fields", headers=headers, json={"fields": {"panel_size": "5"}})
    assert good.json() == {"cycle": CYCLE, "changed": ["panel_size"]}
    shown = {f["id"]: f for f in officer.get(f"/api/v1/cycles/{CYCLE}/fields").json()}
    assert shown["date_of_death"]["raw"] == "2026-03-14" and shown["panel_size"]["value"] == "5"


def reminded(web: Site) -> dict[str, Mail]:
    """Start the case on 7 April and sweep its reminder on 5 May: one email to the owner and each panel member."""
    engine = web.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    web.clock.set(at_local(dt.date(2026, 4, 7), 9))
    engine.start("case_review", 2026, "officer_a", fields={"subject_name": "Alex Example",
                                                           "date_of_death": "2026-03-14"})
    with engine.sessions() as session:
        for event_id in session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all():
            handlers.handle(engine, event_id)
    web.clock.set(at_local(dt.date(2026, 5, 5), 12))
    Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")}).sweep()
    with engine.sessions() as session:
        return {m.person: m for m in session.scalars(select(Mail).where(Mail.kind == "reminder"))}


def test_a_reminder_carrying_personal_values_is_read_only_by_those_entitled_to_them(web: Site, pg_url: str,
                                                                                     tmp_path: Path) -> None:
    mails = reminded(web)
    assert set(mails) == {"officer_a", "chair_c", "observer_d"}
    to_officer, to_observer = mails["officer_a"], mails["observer_d"]
    assert "Alex Example" in to_officer.subject  # written for the case's officer, who is entitled
    scribe, _ = signed_in(web, "scribe_e")  # attaches the panel's papers: an officer of the cycle, not entitled
    assert "(withheld)" in scribe.get(f"/cycles/{CYCLE}/fields", headers=HTML).text
    page = scribe.get(f"/cycles/{CYCLE}/mail", headers=HTML)
    assert page.status_code == 200 and "Alex Example" not in page.text
    assert page.text.count("Personal data withheld: it carries a case's personal details") == 3  # listed, not read
    assert "exempt information" not in page.text  # it carries no exempt paper: personal data is what keeps it back
    assert scribe.get(f"/api/v1/mail/{to_officer.id}").status_code == 404
    assert "Alex Example" not in scribe.get(f"/api/v1/cycles/{CYCLE}/mail").text
    officer, _ = signed_in(web, "officer_a")
    shown = officer.get(f"/api/v1/mail/{to_officer.id}").json()
    assert "Alex Example" in shown["subject"] and "the death of Alex Example" in shown["text_body"]
    assert "Alex Example" in officer.get(f"/cycles/{CYCLE}/mail", headers=HTML).text
    observer, _ = signed_in(web, "observer_d")  # not entitled: reads their own, written without the values
    assert observer.get(f"/api/v1/mail/{to_observer.id}").json()["subject"].startswith("Case review of (withheld)")
    assert observer.get(f"/api/v1/mail/{to_officer.id}").status_code == 404

    web.accounts.add("admin@example.org", password=PASSWORD, admin=True, by="test")  # runs the site, not the case
    admin = web.client()
    token = admin.get("/auth/login").cookies["cycle_form"]
    admin.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token})
    operations = admin.get("/operations", headers=HTML)
    assert operations.status_code == 200 and "Alex Example" not in operations.text
    assert "Email carrying a case&#39;s personal data (withheld)" in operations.text  # unsent, without their subjects

    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": pg_url,
           "CYCLE_DEFINITIONS_DIR": str(web.engine.catalog.directory),
           "CYCLE_NOW": "2026-05-05T12:00:00+01:00"}

    def show(*reader: str) -> str:
        return CliRunner().invoke(main, ["mail", "show", str(to_officer.id), *reader], env=env).output

    assert "Alex Example" not in show("--as", "scribe_e") and "personal data withheld" in show("--as", "scribe_e")
    assert "the death of Alex Example" in show("--as", "officer_a")
