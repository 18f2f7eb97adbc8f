"""The site's mail list: an email to a cycle's contact outside the directory is listed only to those who manage
contacts (`permissions.contacts`), not to every officer; their address is personal data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notifications import outside
from tests.conftest import DEFINITIONS, empty_tables
from tests.integration.web.conftest import Site, served_site
from tests.test_contact_reminders import FAMILY_RULE
from tests.test_contacts import with_case_roles
from workflow.commands import contacts
from workflow.store.models import Cycle

CYCLE = "community_safety_strategy-2021"


@pytest.fixture
def site(pg_url: str, tmp_path: Path) -> Iterator[Site]:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    text = with_case_roles().replace("reminders:\n  board_decision:\n", f"reminders:\n{FAMILY_RULE}  board_decision:\n", 1)
    (folder / "community_safety_strategy.yaml").write_text(text)
    with served_site(pg_url, tmp_path / "data", folder) as found:
        yield found
        for client in found.clients:
            client.close()
    empty_tables(pg_url)


def test_an_email_to_a_contact_is_listed_to_those_who_manage_contacts_only(site: Site) -> None:
    engine = site.engine
    engine.start("community_safety_strategy", 2021, "head_of_partnerships")
    bob = contacts.add(engine, CYCLE, "head_of_partnerships", role="family_contact", name="Bob Example",
                       email="bob@example.net")
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle = session.query(Cycle).filter_by(key=CYCLE).one()
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        outside.write(session, engine.papers, cycle, definition, definition.reminders["family_update"], "test:1", now,
                      now, lambda to, _personal: (f"Update for {to['name']}", f"Dear {to['name']},", "<p>Dear you</p>"),
                      lambda key: f"<{key}@example.org>")
    client = site.client()
    managing = client.get(f"/api/v1/cycles/{CYCLE}/mail", headers=site.token("head_of_partnerships"))
    assert managing.status_code == 200, managing.text
    assert [m["recipient"] for m in managing.json()] == ["bob@example.net"]
    assert managing.json()[0]["person"] == f"contact:{bob.id}"
    other_officer = client.get(f"/api/v1/cycles/{CYCLE}/mail", headers=site.token("committee_manager"))
    assert other_officer.status_code == 200, other_officer.text
    assert other_officer.json() == [], "an officer not under permissions.contacts is not shown it"
    mail_id = managing.json()[0]["id"]
    assert client.get(f"/api/v1/mail/{mail_id}", headers=site.token("committee_manager")).status_code == 404
