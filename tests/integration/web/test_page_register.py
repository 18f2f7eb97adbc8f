"""A case process on the web: the Start page asks for a typed reference, the register page and its API route
list open cases with how late each is, and a case at a stage with exempt papers only to those entitled (as do
the Cycles page, `GET /api/v1/cycles` and `cycle list`); neither register answers outside the directory."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.conftest import empty_tables
from tests.instances_setup import case_folder
from tests.integration.web.conftest import PASSWORD, Site, served_site
from web.cli import main
from workflow.store.models import Cycle
from workflow.time.clock import at_local

HTML = {"Accept": "text/html"}
OFFICER, MEMBER, OBSERVER = "officer@example.org", "member@example.org", "observer@example.org"
STRANGER = "stranger@example.org"  # listed only in another process's directory


@pytest.fixture(scope="module")
def site(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = Path(tmp_path_factory.mktemp("register"))
    definitions = case_folder(folder / "definitions")
    elsewhere = (definitions / "cases.yaml").read_text(encoding="utf-8").replace("id: cases", "id: other_cases")
    (definitions / "other_cases.yaml").write_text(elsewhere.replace("officer@example.org", STRANGER), encoding="utf-8")
    with served_site(pg_url, folder, definitions_dir=definitions) as found:
        found.clock.set(at_local(dt.date(2026, 3, 2), 10))
        for email in (OFFICER, MEMBER, OBSERVER):
            found.accounts.add(email, password=PASSWORD, admin=False, by="test")
        yield found
    empty_tables(pg_url)


@pytest.fixture(autouse=True)
def closed_clients(site: Site) -> Iterator[None]:
    yield
    site.end_test()


def test_the_start_page_asks_for_a_typed_reference_and_refuses_one_in_use(site: Site) -> None:
    officer, csrf = site.signed_in_as(OFFICER)
    form = officer.get("/cycles/start", headers=HTML).text
    assert 'name="reference"' in form and "Only for Case review" in form
    typed = {"definition": "typed_cases", "year": "2026", "reference": "DHR-WEB-1", "csrf_token": csrf}
    started = officer.post("/cycles/start", headers=HTML, data=typed)
    assert started.status_code == 303 and started.headers["location"] == "/cycles/DHR-WEB-1"
    assert "Case review DHR-WEB-1" in officer.get("/cycles/DHR-WEB-1", headers=HTML).text  # named by its reference
    again = officer.post("/cycles/start", headers=HTML, data=typed)
    assert again.status_code == 422
    assert "DHR-WEB-1 is already in use by DHR-WEB-1" in again.text and 'id="reference-error"' in again.text
    numbered = officer.post("/cycles/start", headers=HTML,
                            data={"definition": "cases", "year": "2026", "csrf_token": csrf})
    assert numbered.headers["location"] == "/cycles/TST-2026-001"
    client = site.client()
    client.headers["Authorization"] = f"Bearer {site.accounts.create_token(OFFICER, 'test')}"
    api = client.post("/api/v1/cycles", json={"definition": "typed_cases", "reference": "DHR-API-1"})
    assert api.status_code == 201 and api.json()["cycle"] == "DHR-API-1"
    refused = client.post("/api/v1/cycles", json={"definition": "typed_cases"})
    assert refused.status_code == 422 and "give it with --reference" in refused.text
    with site.engine.sessions() as session:
        assert sorted(session.scalars(select(Cycle.key))) == ["DHR-API-1", "DHR-WEB-1", "TST-2026-001"]


def test_the_register_lists_open_cases_and_counts_exempt_ones_for_those_not_entitled(
        site: Site, tmp_path: Path, pg_url: str) -> None:
    engine = site.engine
    late = engine.start("cases", 2025, "officer_a").cycle
    private = engine.start("cases", 2025, "officer_a").cycle
    engine.fire(private, "decide_review", "officer_a")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%named family members\n")
    engine.attach(private, "review_report", report, "officer_a", exempt=2)
    site.clock.set(at_local(dt.date(2026, 3, 20), 10))

    member, _ = site.signed_in_as(MEMBER)  # a voting member of the review board: entitled to its exempt papers
    page = member.get("/register/cases", headers=HTML)
    assert page.status_code == 200
    assert late in page.text and private in page.text and "9 working days overdue" in page.text
    assert 'id="withheld"' not in page.text
    observer, _ = site.signed_in_as(OBSERVER)  # sits in public session only
    shown = observer.get("/register/cases", headers=HTML).text
    assert late in shown and private not in shown
    assert "1 more is at a stage whose papers are exempt (Schedule 12A), shown only to those entitled: " \
           "4 working days late." in shown
    api = site.client()
    api.headers["Authorization"] = f"Bearer {site.accounts.create_token(OBSERVER, 'test')}"
    listed = api.get("/api/v1/definitions/cases/instances").json()
    listed_cycles = [i["cycle"] for i in listed["instances"]]
    assert late in listed_cycles and private not in listed_cycles
    assert listed["withheld"] == {"count": 1, "days_late": [4]}
    api.headers["Authorization"] = f"Bearer {site.accounts.create_token(MEMBER, 'test')}"
    assert {late, private} <= {i["cycle"] for i in api.get("/api/v1/definitions/cases/instances").json()["instances"]}
    assert 'href="/register/cases"' in observer.get("/cycles", headers=HTML).text
    outsider = site.client()
    assert outsider.get("/api/v1/definitions/cases/instances").status_code == 401
    assert private in member.get("/cycles", headers=HTML).text
    listed_to_member = {c["cycle"] for c in api.get("/api/v1/cycles").json()}  # the api client is the member's
    assert {late, private} <= listed_to_member

    # The cycles list withholds what the register withholds: an exempt case at its private stage, to the observer.
    cycles_page = observer.get("/cycles", headers=HTML)
    assert late in cycles_page.text and private not in cycles_page.text
    api.headers["Authorization"] = f"Bearer {site.accounts.create_token(OBSERVER, 'test')}"
    assert late in {c["cycle"] for c in api.get("/api/v1/cycles").json()}
    assert private not in {c["cycle"] for c in api.get("/api/v1/cycles").json()}
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": pg_url,
           "CYCLE_DEFINITIONS_DIR": str(engine.catalog.directory), "CYCLE_NOW": "2026-03-20T10:00:00+00:00"}
    listed_in_shell = CliRunner().invoke(main, ["list", "--as", "observer_a", "--json"], env=env)
    assert listed_in_shell.exit_code == 0, listed_in_shell.output
    assert late in listed_in_shell.output and private not in listed_in_shell.output
    assert private in CliRunner().invoke(main, ["list", "--as", "member_a", "--json"], env=env).output


def test_the_register_and_its_api_route_answer_404_to_an_account_outside_the_directory(site: Site) -> None:
    site.accounts.add(STRANGER, password=PASSWORD, admin=False, by="test")
    stranger, _ = site.signed_in_as(STRANGER)
    assert stranger.get("/register/cases", headers=HTML).status_code == 404
    refused = stranger.get("/api/v1/definitions/cases/instances")
    assert refused.status_code == 404
    unknown = stranger.get("/api/v1/definitions/nothing/instances")  # the same answer as for no such process
    assert unknown.status_code == 404
    assert refused.json()["detail"] == unknown.json()["detail"].replace("nothing", "cases")
    assert "TST-" not in refused.text


def test_a_case_is_named_by_its_reference_on_its_history_decisions_and_papers_pages(site: Site) -> None:
    officer, csrf = site.signed_in_as(OFFICER)
    typed = {"definition": "typed_cases", "year": "2026", "reference": "DHR-TITLE-1", "csrf_token": csrf}
    assert officer.post("/cycles/start", headers=HTML, data=typed).status_code == 303
    fired = officer.post("/cycles/DHR-TITLE-1/fire", headers=HTML, follow_redirects=True,
                         data={"trigger": "decide_review", "csrf_token": csrf})
    assert "Case review DHR-TITLE-1 is now at &#39;Report to the board&#39;" in fired.text, fired.text
    for page in ("history", "decisions", "papers"):
        text = officer.get(f"/cycles/DHR-TITLE-1/{page}", headers=HTML).text
        assert "Case review DHR-TITLE-1" in text, page
        assert "Case review, 2026" not in text, page


def test_the_start_page_refuses_a_reference_in_another_definitions_form_without_naming_its_cases(site: Site) -> None:
    officer, csrf = site.signed_in_as(OFFICER)
    numbered = officer.post("/cycles/start", headers=HTML, data={"definition": "cases", "year": "2027", "csrf_token": csrf})
    assert numbered.headers["location"] == "/cycles/TST-2027-001"
    for reference in ("TST-2027-001", "TST-2027-002", "cases-2027"):
        refused = officer.post("/cycles/start", headers=HTML, data={
            "definition": "typed_cases", "year": "2027", "reference": reference, "csrf_token": csrf})
        assert refused.status_code == 422 and 'id="reference-error"' in refused.text, reference
        assert "has the form of" in refused.text and "officer_a" not in refused.text, reference
    again = officer.post("/cycles/start", headers=HTML, data={"definition": "cases", "year": "2027", "csrf_token": csrf})
    assert again.headers["location"] == "/cycles/TST-2027-002"


def test_a_case_withheld_from_every_list_is_no_cycle_to_its_reference_either(
        site: Site, tmp_path: Path, pg_url: str) -> None:
    engine = site.engine
    case = engine.start("cases", 2028, "officer_a").cycle
    engine.fire(case, "decide_review", "officer_a")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%named family members\n")
    engine.attach(case, "review_report", report, "officer_a", exempt=2)
    unknown = "TST-2028-999"
    answer = f"there is no cycle '{case}'"

    observer = site.client()  # sits in public session only: the register withholds the case from them
    observer.headers["Authorization"] = f"Bearer {site.accounts.create_token(OBSERVER, 'test')}"
    asked = [observer.get(f"/api/v1/cycles/{ref}{path}") for ref in (case, unknown) for path in ("", "/history")]
    asked += [observer.post(f"/api/v1/cycles/{ref}/fire", json={"trigger": "report"}) for ref in (case, unknown)]
    assert [r.status_code for r in asked] == [404] * 6
    assert {r.json()["detail"].replace(unknown, case) for r in asked} == {answer}
    assert case not in observer.get("/api/v1/cycles").text
    browser, _ = site.signed_in_as(OBSERVER)
    pages = [browser.get(f"/cycles/{ref}{path}", headers=HTML) for ref in (case, unknown) for path in ("", "/history")]
    assert [p.status_code for p in pages] == [404] * 4
    said = [html.unescape(re.findall(r"<main.*?</main>", p.text, re.S)[0]).replace(unknown, case) for p in pages]
    assert said[:2] == said[2:] and all(f"T{answer[1:]}" in words for words in said), said

    member = site.client()  # a voting member of the review board: entitled
    member.headers["Authorization"] = f"Bearer {site.accounts.create_token(MEMBER, 'test')}"
    assert [member.get(f"/api/v1/cycles/{case}{path}").status_code for path in ("", "/history")] == [200, 200]
    member_browser, _ = site.signed_in_as(MEMBER)
    assert member_browser.get(f"/cycles/{case}/history", headers=HTML).status_code == 200

    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": pg_url,
           "CYCLE_DEFINITIONS_DIR": str(engine.catalog.directory), "CYCLE_NOW": "2026-03-20T10:00:00+00:00"}
    for command in ("status", "history"):
        refused = CliRunner().invoke(main, [command, case, "--as", "observer_a"], env=env)
        assert refused.exit_code != 0 and answer in refused.output, refused.output
        shown = CliRunner().invoke(main, [command, case, "--as", "member_a", "--json"], env=env)
        assert shown.exit_code == 0 and case in shown.output, shown.output
