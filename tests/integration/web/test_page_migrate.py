"""Moving a running cycle to another version of its definition from the pages, against uvicorn and PostgreSQL:
the versions listed, the command's dry run shown in the definitions' titles (with the stage chosen where the
new version has none of the current one's name), then the move recorded in the history as `cycle migrate`
records it. Refusals: a person without the definition's migrate role gets 403 with a sentence; a version that
is not there comes back in the error summary; nothing is written by either."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEFINITIONS, empty_tables, first_version
from tests.integration.web.conftest import PASSWORD, Site, served_site
from tests.integration.web.test_page_decisions import HTML, csrf_of
from tests.integration.web.test_page_meetings import summary, written

PSPO = "alcohol_pspo_variation"
CYCLE = f"{PSPO}-2021"
PAGE = f"/cycles/{CYCLE}/migrate"
ADMIN, LEAD = "business.systems@example.org", "community.safety@example.org"  # the definition's admin; its lead


def version_two(folder: Path) -> None:
    """The first stage renamed (and due a week later), and a Cabinet member who changes portfolio."""
    path = folder / f"{PSPO}.yaml"
    text = path.read_text().replace("version: 1", "version: 2", 1)
    text = re.sub(r"\bevidence\b(?=:\n|$)", "evidence_checked", text, flags=re.M)
    text = text.replace("title: Evidence gathered\n", "title: Evidence gathered and checked by Legal Services\n")
    text = text.replace("due: third Friday of May", "due: last Friday of May", 1)
    text = text.replace("cabinet_member_housing", "cabinet_member_homes").replace("cm.housing", "cm.homes")
    path.write_text(text.replace("Cabinet Member for Housing", "Cabinet Member for Homes"))


@pytest.fixture
def pspo(pg_url: str, tmp_path: Path) -> Iterator[Site]:
    """The site on a folder of its own: the PSPO variation started for 2021 on version 1, then version 2 saved."""
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    (folder / f"{PSPO}.yaml").write_text((DEFINITIONS / f"{PSPO}.yaml").read_text())
    first_version(folder / f"{PSPO}.yaml")
    with served_site(pg_url, tmp_path / "data", folder) as site:
        empty_tables(pg_url)  # whatever another module's tests left
        site.engine.start(PSPO, 2021, "community_safety_officer")
        for email in (ADMIN, LEAD):
            site.accounts.add(email, password=PASSWORD, admin=False, by="test")
        version_two(folder)
        yield site
        while site.clients:
            site.clients.pop().close()
    empty_tables(pg_url)


def signed_in(site: Site, email: str) -> tuple[httpx.Client, str]:
    client = site.client()
    token = client.get("/auth/login").cookies["cycle_form"]
    assert client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return client, csrf_of(client)


def preview_text(html: str) -> str:
    """What the dry run shows a person: the words of the preview, without the markup."""
    part = html.split('id="preview"', 1)[1].split("<form", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part))


def test_the_admin_previews_the_move_then_moves_the_cycle_and_the_history_records_it(pspo: Site) -> None:
    admin, csrf = signed_in(pspo, ADMIN)
    overview = admin.get(f"/cycles/{CYCLE}", headers=HTML)
    assert f'href="{PAGE}">Move the cycle to another version of its definition</a>' in overview.text
    listed = admin.get(PAGE, headers=HTML)
    assert listed.status_code == 200, listed.text
    assert "Version 2: Alcohol PSPO variation and extension" in listed.text
    assert "In the definitions folder; no cycle has run on it yet." in listed.text

    where = admin.get(PAGE, params={"version": "2"}, headers=HTML)
    assert where.status_code == 200 and 'id="preview"' not in where.text
    assert "Where the cycle goes in version 2" in where.text and "Version 2 has no stage ‘Evidence gathered’." in where.text
    assert '<option value="evidence_checked">Evidence gathered and checked by Legal Services</option>' in where.text
    unanswered = admin.get(PAGE, params={"version": "2", "stage": ""}, headers=HTML)
    assert unanswered.status_code == 422
    assert summary(unanswered.text) == [
        "#stage Version 2 has no stage ‘Evidence gathered’: choose where the cycle goes."]
    before = written(pspo)

    shown = admin.get(PAGE, params={"version": "2", "stage": "evidence_checked"}, headers=HTML)
    assert shown.status_code == 200, shown.text
    words = preview_text(shown.text)
    assert "‘Evidence gathered’ → ‘Evidence gathered and checked by Legal Services’" in words
    assert "‘Evidence gathered and checked by Legal Services’ is due: Friday 21 May 2021 → Friday 28 May 2021" in words
    assert "Cabinet Member for Homes joins" in words and "Cabinet Member for Housing leaves" in words
    assert "Cabinet: Cabinet Member for Housing, voting → not a member" in words
    for an_id in ("evidence_checked", "cabinet_member", "cabinet:", "'"):
        assert an_id not in words, f"the preview shows {an_id!r}, an id, where a title belongs"
    assert written(pspo) == before and pspo.engine.status(CYCLE).version == 1, "a dry run writes nothing"

    moved = admin.post(PAGE, headers=HTML, data={"csrf_token": csrf, "version": "2", "stage": "evidence_checked",
                                                 "comment": "Legal Services check the evidence first"})
    assert moved.status_code == 303 and moved.headers["location"] == f"/cycles/{CYCLE}/history"
    history = admin.get(moved.headers["location"], headers=HTML).text
    assert ("now runs on version 2 of its definition, at ‘Evidence gathered and checked by Legal Services’"
            in history)
    status = pspo.engine.status(CYCLE)
    assert (status.version, status.stage) == (2, "evidence_checked")
    row = pspo.engine.history(CYCLE)[-1]
    assert (row["action"], row["actor"], row["from"], row["to"], row["comment"]) == (
        "migrate", "systems_officer", "evidence", "evidence_checked", "Legal Services check the evidence first")
    assert row["data"]["renamed"] == {"evidence": "evidence_checked"} and row["data"]["from_version"] == 1


def test_a_person_without_the_migrate_role_is_refused_and_nothing_is_written(pspo: Site) -> None:
    lead, csrf = signed_in(pspo, LEAD)  # leads the review; the definition lets only its admin role move cycles
    assert "Move the cycle to another version" not in lead.get(f"/cycles/{CYCLE}", headers=HTML).text
    before = written(pspo)
    for response in (lead.get(PAGE, headers=HTML),
                     lead.get(PAGE, params={"version": "2", "stage": "evidence_checked"}, headers=HTML),
                     lead.post(PAGE, headers=HTML, data={"csrf_token": csrf, "version": "2",
                                                         "stage": "evidence_checked"})):
        assert response.status_code == 403, response.text
        assert ("Community Safety Officer cannot move cycles of the Alcohol PSPO variation and extension "
                "(version 1) to another version: that needs one of the roles admin") in response.text
    assert written(pspo) == before and pspo.engine.status(CYCLE).version == 1


def test_a_version_that_is_not_there_comes_back_in_the_error_summary(pspo: Site) -> None:
    admin, csrf = signed_in(pspo, ADMIN)
    before = written(pspo)
    for said, response in (
            ("#version There is no other version 7 of this definition.",
             admin.get(PAGE, params={"version": "7"}, headers=HTML)),
            ("#version Choose the version to move the cycle to.",
             admin.get(PAGE, params={"version": ""}, headers=HTML)),
            ("#version There is no other version 1 of this definition.",
             admin.post(PAGE, headers=HTML, data={"csrf_token": csrf, "version": "1"}))):
        assert response.status_code == 422, response.text
        assert summary(response.text) == [said]
    assert written(pspo) == before and pspo.engine.status(CYCLE).version == 1
