"""A case's outside parties on the web: the Contacts page and /api/v1/cycles/{cycle}/contacts add, change and
remove them; the Letters for post page and /api/v1/letters give each letter's PDF and mark it posted. Only those
the definition lets manage contacts see any of it; anyone else is refused with nothing written, and never sees a
contact's name, email or address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from notifications import outside
from tests.audit_tampering import verify
from tests.conftest import DEFINITIONS, empty_tables
from tests.integration.web.conftest import Site, served_site
from tests.test_contact_reminders import FAMILY_RULE
from tests.test_contacts import with_case_roles
from workflow.commands import contacts
from workflow.store.models import CaseContact, CaseLetter, CaseLetterPost, Cycle, HistoryEntry

CYCLE = "community_safety_strategy-2021"
OFFICER = "head_of_partnerships"
HTML = {"Accept": "text/html"}
OTHERS = ("committee_manager", "police_area_commander")  # an officer not under permissions.contacts; another board


@pytest.fixture(scope="module")
def served(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("contacts_web")
    folder = base / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    text = with_case_roles().replace("reminders:\n  board_decision:\n", f"reminders:\n{FAMILY_RULE}  board_decision:\n", 1)
    (folder / "community_safety_strategy.yaml").write_text(text)
    with served_site(pg_url, Path(base) / "data", folder) as found:
        yield found


@pytest.fixture
def site(served: Site, pg_url: str) -> Iterator[Site]:
    served.engine.start("community_safety_strategy", 2021, OFFICER)
    yield served
    while served.clients:
        served.clients.pop().close()
    empty_tables(pg_url)


def written(site: Site) -> tuple[int, int, int]:
    """What a refusal must leave as it was: the history, the contacts and the letters marked posted."""
    with site.engine.sessions() as session:
        return (session.scalar(select(func.count()).select_from(HistoryEntry)) or 0,
                session.scalar(select(func.count()).select_from(CaseContact)) or 0,
                session.scalar(select(func.count()).select_from(CaseLetterPost)) or 0)


def letter_to(site: Site, contact_id: int) -> int:
    """A reminder to the family contact's case role, written as the sweep writes it: a letter, as they have no email."""
    engine = site.engine
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle = session.query(Cycle).filter_by(key=CYCLE).one()
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        outside.write(session, engine.papers, cycle, definition, definition.reminders["family_update"], "test:1", now,
                      now, lambda to, _p: (f"Update for {to['name']}", f"Dear {to['name']},",
                                           f"<p>Dear {to['name']},</p>"), lambda key: f"<{key}@example.org>")
    with engine.sessions() as session:
        return session.scalars(select(CaseLetter.id).where(CaseLetter.contact_id == contact_id)).one()


def test_the_api_adds_changes_and_removes_a_contact_and_refuses_anyone_else(site: Site) -> None:
    client = site.client()
    officer = site.token(OFFICER)
    bad = client.post(f"/api/v1/cycles/{CYCLE}/contacts", headers=officer,
                      json={"role": "family_contcat", "name": " ", "email": "nowhere"})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["problems"]} == {"role", "name", "email"}, "every problem at once"
    added = client.post(f"/api/v1/cycles/{CYCLE}/contacts", headers=officer,
                        json={"role": "family_contact", "name": "Ann Example", "email": "ann@example.net"})
    assert added.status_code == 201, added.text
    number = added.json()["id"]
    before = written(site)
    for person in OTHERS:
        headers = site.token(person)
        for answer in (client.get(f"/api/v1/cycles/{CYCLE}/contacts", headers=headers),
                       client.post(f"/api/v1/cycles/{CYCLE}/contacts", headers=headers,
                                   json={"role": "family_contact", "name": "Eve", "email": "eve@example.net"}),
                       client.patch(f"/api/v1/cycles/{CYCLE}/contacts/{number}", headers=headers,
                                    json={"name": "Eve"}),
                       client.delete(f"/api/v1/cycles/{CYCLE}/contacts/{number}", headers=headers)):
            assert answer.status_code == 403, answer.text
            assert "Ann" not in answer.text and "ann@example.net" not in answer.text
    assert written(site) == before, "nothing written on refusal"

    changed = client.patch(f"/api/v1/cycles/{CYCLE}/contacts/{number}", headers=officer,
                           json={"email": None, "address": "1 High Street, Milton Keynes, MK1 1AA"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["changed"] == ["email", "address"] and changed.json()["email"] is None
    listed = client.get(f"/api/v1/cycles/{CYCLE}/contacts", headers=officer).json()
    assert [(c["name"], c["address"]) for c in listed] == [("Ann Example", "1 High Street\nMilton Keynes\nMK1 1AA")]
    assert client.delete(f"/api/v1/cycles/{CYCLE}/contacts/{number}", headers=officer).status_code == 200
    assert client.get(f"/api/v1/cycles/{CYCLE}/contacts", headers=officer).json() == []
    gone = client.delete(f"/api/v1/cycles/{CYCLE}/contacts/{number}", headers=officer)
    assert gone.status_code == 404 and f"has no contact {number}" in gone.text
    history = client.get(f"/api/v1/cycles/{CYCLE}/history", headers=officer).text
    assert "contact_changed" in history and "Ann" not in history and "High Street" not in history
    code, output = verify(site.app.state.cycle)  # `cycle history verify` on PostgreSQL, after every change
    assert code == 0, output


def test_the_contacts_page_adds_changes_and_removes_with_every_problem_beside_its_control(site: Site) -> None:
    for person in (OFFICER, *OTHERS):
        site.account(person)
    browser, csrf = site.sign_in(OFFICER)
    overview = browser.get(f"/cycles/{CYCLE}", headers=HTML)
    assert f'href="/cycles/{CYCLE}/contacts"' in overview.text and f'href="/cycles/{CYCLE}/letters"' in overview.text
    page = browser.get(f"/cycles/{CYCLE}/contacts", headers=HTML)
    assert page.status_code == 200 and "This case has no contacts yet." in page.text
    refused = browser.post(f"/cycles/{CYCLE}/contacts", headers=HTML,
                           data={"csrf_token": csrf, "role": "", "name": "Ann Example", "email": "nowhere"})
    assert refused.status_code == 422
    for control in ("role", "email"):
        assert f'id="{control}-error"' in refused.text and f'href="#{control}"' in refused.text
    assert "is not an email address" in refused.text and 'value="Ann Example"' in refused.text
    assert written(site)[1] == 0
    added = browser.post(f"/cycles/{CYCLE}/contacts", headers=HTML, data={
        "csrf_token": csrf, "role": "family_contact", "name": "Ann Example", "email": "ann@example.net"})
    assert added.status_code == 303
    listed = browser.get(added.headers["location"], headers=HTML).text
    assert "Added Ann Example as family contact" in listed and "ann@example.net" in listed
    number = site.engine.history(CYCLE)[-1]["data"]["contact"]
    form = browser.get(f"/cycles/{CYCLE}/contacts/{number}", headers=HTML)
    assert 'value="ann@example.net"' in form.text
    changed = browser.post(f"/cycles/{CYCLE}/contacts/{number}", headers=HTML, data={
        "csrf_token": csrf, "role": "family_contact", "name": "Ann Example", "email": "",
        "address": "1 High Street, Milton Keynes, MK1 1AA"})
    assert changed.status_code == 303
    assert "Changed the email, address of Ann Example" in browser.get(changed.headers["location"], headers=HTML).text
    history = browser.get(f"/cycles/{CYCLE}/history", headers=HTML).text
    assert f"Changed contact {number}, family contact (email, address: personal data" in history
    assert "High Street" not in history and "ann@example.net" not in history

    for person in OTHERS:
        other, other_csrf = site.sign_in(person)
        assert f'href="/cycles/{CYCLE}/contacts"' not in other.get(f"/cycles/{CYCLE}", headers=HTML).text
        for answer in (other.get(f"/cycles/{CYCLE}/contacts", headers=HTML),
                       other.get(f"/cycles/{CYCLE}/contacts/{number}", headers=HTML),
                       other.post(f"/cycles/{CYCLE}/contacts/{number}/remove", headers=HTML,
                                  data={"csrf_token": other_csrf})):
            assert answer.status_code == 403 and "Ann" not in answer.text and "High Street" not in answer.text
    assert written(site)[1] == 1
    removed = browser.post(f"/cycles/{CYCLE}/contacts/{number}/remove", headers=HTML, data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "This case has no contacts yet." in browser.get(removed.headers["location"], headers=HTML).text


def test_letters_are_downloaded_and_marked_posted_by_the_officer_only(site: Site) -> None:
    ann = contacts.add(site.engine, CYCLE, OFFICER, role="family_contact", name="Ann Example",
                       address="1 High Street, Milton Keynes, MK1 1AA")
    letter = letter_to(site, ann.id)
    client = site.client()
    officer = site.token(OFFICER)
    listed = client.get("/api/v1/letters", headers=officer)
    assert [(x["id"], x["to"], x["posted_on"]) for x in listed.json()] == [(letter, "Ann Example", None)]
    pdf = client.get(listed.json()[0]["pdf"], headers=officer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    before = written(site)
    for person in OTHERS:
        headers = site.token(person)
        assert client.get("/api/v1/letters", headers=headers).json() == []
        for answer in (client.get(f"/api/v1/letters/{letter}/pdf", headers=headers),
                       client.post(f"/api/v1/letters/{letter}/posted", headers=headers, json={})):
            assert answer.status_code == 403 and "Ann" not in answer.text
    assert written(site) == before
    future = client.post(f"/api/v1/letters/{letter}/posted", headers=officer, json={"on": "2099-01-01"})
    assert future.status_code == 422 and "is after today" in future.text

    browser, csrf = site.sign_in(OFFICER)
    page = browser.get(f"/cycles/{CYCLE}/letters", headers=HTML)
    assert page.status_code == 200 and f"Mark letter {letter} posted" in page.text
    assert browser.get(f"/cycles/{CYCLE}/letters/{letter}/pdf").content.startswith(b"%PDF")
    today = site.engine.clock.now().date()
    bad = browser.post(f"/cycles/{CYCLE}/letters/{letter}/posted", headers=HTML, data={
        "csrf_token": csrf, f"posted-{letter}-day": "31", f"posted-{letter}-month": "2",
        f"posted-{letter}-year": "2021"})
    assert bad.status_code == 303
    shown = browser.get(bad.headers["location"], headers=HTML).text
    assert f'id="posted-{letter}-error"' in shown and "must be a real date" in shown
    marked = browser.post(f"/cycles/{CYCLE}/letters/{letter}/posted", headers=HTML, data={
        "csrf_token": csrf, f"posted-{letter}-day": str(today.day), f"posted-{letter}-month": str(today.month),
        f"posted-{letter}-year": str(today.year)})
    assert marked.status_code == 303
    after = browser.get(marked.headers["location"], headers=HTML).text
    assert "There are no letters to post." in after and "Posted on" in after and " by Priya Shah" in after
    assert client.get("/api/v1/letters?to_post=true", headers=officer).json() == []
    [row] = client.get("/api/v1/letters", headers=officer).json()
    assert (row["posted_on"], row["posted_by"]) == (today.isoformat(), OFFICER)
    again = client.post(f"/api/v1/letters/{letter}/posted", headers=officer, json={})
    assert again.status_code == 422 and "was marked posted on" in again.text
    other, _ = site.sign_in("police_area_commander")
    assert other.get(f"/cycles/{CYCLE}/letters", headers=HTML).status_code == 403
    assert other.get(f"/cycles/{CYCLE}/letters/{letter}/pdf").status_code == 403
