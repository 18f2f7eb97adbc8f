"""A web request names a definition by its id, never by a path: the server opens no file a request names, and
a process the person's directory does not list is answered exactly as one that does not exist."""

from __future__ import annotations

from pathlib import Path

from tests.integration.web.conftest import PASSWORD, Site
from workflow.store.models import Cycle

OUTSIDER = "dhr.coordinator@example.org"  # listed by the domestic homicide review, not the strategy


def data_dir(web: Site) -> Path:
    found: Path = web.app.state.cycle.settings.data_dir
    return found


def started_cycles(web: Site) -> int:
    with web.engine.sessions() as session:
        return session.query(Cycle).count()


def test_a_path_for_a_definition_is_refused_in_one_sentence_without_opening_the_file(web: Site) -> None:
    # A file in the data directory, as the web secret and the audit key are: before, its text came back quoted.
    secret = data_dir(web) / "planted-secret.yaml"
    secret.write_text("root:x:0:0:SECRETCONTENT\nsecond line\n")
    # The lowest role of the directory: a board member, who may not start a cycle.
    member = web.token("director_policy")
    for named in ("/etc/passwd", "../x", "../../../../etc/passwd", str(secret), "community_safety_strategy.yaml",
                  str(web.engine.catalog.directory / "community_safety_strategy.yaml")):
        refused = web.client().post("/api/v1/cycles", headers=member, json={"definition": named, "year": 2022})
        assert refused.status_code == 422, (named, refused.text)
        detail = refused.json()["detail"]
        assert detail.startswith("the request is not valid: definition:") and "\n" not in detail
        assert "root:" not in refused.text and "SECRETCONTENT" not in refused.text
    assert started_cycles(web) == 0


def test_an_unknown_id_and_one_whose_directory_does_not_list_you_are_the_same_404(web: Site) -> None:
    web.accounts.add(OUTSIDER, password=PASSWORD, admin=False, by="test")
    outsider = {"Authorization": f"Bearer {web.accounts.create_token(OUTSIDER, 'test')}"}
    member = web.token("director_policy")
    answers = {}
    for who, headers, definition in (("outsider", outsider, "community_safety_strategy"),
                                     ("outsider", outsider, "no_such_process"),
                                     ("member", member, "no_such_process"), ("member", member, "etc_passwd")):
        found = web.client().post("/api/v1/cycles", headers=headers, json={"definition": definition, "year": 2022})
        assert found.status_code == 404, (who, definition, found.text)
        answers[who, definition] = found.json()["detail"].replace(definition, "ID")
    assert set(answers.values()) == {"there is no definition 'ID' whose directory lists you"}
    # A person it lists, without the role to start one, is told so: they know the process already.
    refused = web.client().post("/api/v1/cycles", headers=member,
                                json={"definition": "community_safety_strategy", "year": 2022})
    assert refused.status_code == 403, refused.text
    assert started_cycles(web) == 0


def test_the_start_page_refuses_a_path_as_a_strategy_it_does_not_offer(web: Site) -> None:
    web.account("head_of_partnerships")
    client, csrf = web.signed_in("head_of_partnerships")
    for named in ("/etc/passwd", str(data_dir(web) / "planted-secret.yaml")):
        page = client.post("/cycles/start", data={"definition": named, "year": "2022", "csrf_token": csrf})
        assert page.status_code == 422, page.text
        assert "Choose a strategy whose directory lists you." in page.text and "root:" not in page.text
    assert started_cycles(web) == 0
