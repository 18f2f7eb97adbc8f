"""The Definitions pages through a real HTTP client against uvicorn and PostgreSQL, on a definitions folder of
the module's own (uploads write to it): admins only, versions and the cycles on them, the state diagram, the
reminders preview, and uploads refused with each problem beside its line or saved as the folder's file."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEFINITIONS, SHIPPED_VERSION
from tests.integration.web.conftest import Site, served_site

HTML = {"Accept": "text/html"}
SHIPPED = (DEFINITIONS / "community_safety_strategy.yaml").read_text(encoding="utf-8")


def broken() -> str:
    """The shipped definition with a bad field (line 180) and an unknown trigger in a due date (line 346)."""
    text = SHIPPED.replace("    quorum: 3\n", "    quorum: three\n", 1)
    text = text.replace("title: Strategic assessment signed off\n", "title: <b>Strategic</b> assessment signed off\n")
    return text.replace("    due: risk_board_august\n", "    due: 2 weeks after discuss_early_finding fired\n", 1)


def raised() -> str:
    return SHIPPED.replace(f"version: {SHIPPED_VERSION}\n", f"version: {SHIPPED_VERSION + 1}\n", 1).replace(
        "title: Strategic assessment signed off\n", "title: Strategic assessment signed off by the Risk Board\n", 1)


@pytest.fixture(scope="module")
def site(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("definitions")
    shutil.copytree(DEFINITIONS / "templates", folder / "templates")
    for path in DEFINITIONS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    with served_site(pg_url, Path(tmp_path_factory.mktemp("web")), folder) as found:
        yield found


@pytest.fixture
def folder(web: Site) -> Iterator[Path]:
    """The site's definitions folder, put back as shipped after each test."""
    directory: Path = web.engine.catalog.directory
    yield directory
    for path in directory.glob("*.yaml"):
        path.unlink()
    for path in DEFINITIONS.glob("*.yaml"):
        shutil.copy(path, directory / path.name)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def admin(web: Site) -> tuple[object, str]:
    web.account("scrutiny_officer", admin=True)
    return web.signed_in("scrutiny_officer")


def upload(client, csrf: str, name: str, text: str | bytes):  # type: ignore[no-untyped-def]
    body = text.encode() if isinstance(text, str) else text
    return client.post("/definitions/upload", headers=HTML, data={"csrf_token": csrf},
                       files={"file": (name, body, "application/yaml")})


def test_someone_who_is_not_an_admin_is_refused_each_page_with_the_sentence(web: Site, folder: Path) -> None:
    web.account("committee_manager")
    manager, csrf = web.signed_in("committee_manager")
    for path in ("/definitions", "/definitions/community_safety_strategy",
                 "/definitions/community_safety_strategy/reminders?year=2021", "/definitions/upload",
                 "/definitions/community_safety_strategy/errors"):
        page = manager.get(path, headers=HTML)
        assert page.status_code == 403, path
        assert "Committee.manager@example.org is not an admin; only an admin manages definitions." in page.text
    before = snapshot(folder)
    refused = upload(manager, csrf, "community_safety_strategy.yaml", raised())
    assert refused.status_code == 403
    assert snapshot(folder) == before
    assert 'href="/definitions"' not in manager.get("/my-work", headers=HTML).text


def test_the_list_shows_each_version_and_the_running_cycles_on_it(web: Site, folder: Path) -> None:
    officer = web.token("head_of_partnerships")
    for year in (2021, 2022):
        started = web.client().post("/api/v1/cycles", headers=officer,
                                    json={"definition": "community_safety_strategy", "year": year})
        assert started.status_code == 201, started.text
    (folder / "community_safety_strategy.yaml").write_text(raised(), encoding="utf-8")
    (folder / "draft.yaml").write_text("id: draft\ntitle: <script>x</script>\n", encoding="utf-8")
    client, _ = admin(web)
    page = client.get("/definitions", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Community Safety Strategy" in text and f"Version {SHIPPED_VERSION + 1} in the folder" in text
    assert "Alcohol" in text and "Domestic Homicide Review" in text  # the other shipped definitions
    running = text[text.index(f"Version {SHIPPED_VERSION}<"):]
    assert 'href="/cycles/community_safety_strategy-2021">Community Safety Strategy, 2021 to 2022</a>' in running
    assert 'href="/cycles/community_safety_strategy-2022">Community Safety Strategy, 2022 to 2023</a>' in running
    new_row = text[text.index(f"Version {SHIPPED_VERSION + 1}"):text.index(f"Version {SHIPPED_VERSION}<")]
    assert "Not used yet" in new_row and "/cycles/" not in new_row
    assert "draft.yaml" in text and "Has errors" in text and 'href="/definitions/draft/errors"' in text
    errors = client.get("/definitions/draft/errors", headers=HTML)
    assert errors.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in errors.text and "<script>x" not in errors.text
    assert "Errors in draft.yaml" in errors.text and "There is a problem" in errors.text


def test_a_version_with_many_running_cycles_names_ten_and_counts_the_rest(web: Site, folder: Path) -> None:
    for year in range(2021, 2033):
        web.engine.start("community_safety_strategy", year, "head_of_partnerships")
    client, _ = admin(web)
    page = client.get("/definitions", headers=HTML)
    assert page.status_code == 200
    start = page.text.index("Versions of Community Safety Strategy")
    running = page.text[start:page.text.index("</table>", start)]
    named = re.findall(r'href="/cycles/(community_safety_strategy-\d+)"', running)
    assert named == [f"community_safety_strategy-{year}" for year in range(2021, 2031)]
    assert "and 2 more running cycles (<code>cycle list</code> lists them all)" in running


def test_a_definition_shows_its_stages_transitions_boards_timeline_and_state_diagram(web: Site, folder: Path) -> None:
    client, _ = admin(web)
    page = client.get("/definitions/community_safety_strategy?year=2021", headers=HTML)
    assert page.status_code == 200
    text = page.text
    picture = text[text.index('<div class="app-picture" role="region" aria-label="State diagram" tabindex="0">'):]
    picture = picture[:picture.index("</svg>") + 6]
    assert "<svg" in picture
    words = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", picture))  # dot wraps a title over lines
    for title in ("Early findings of the strategic assessment discussed", "Strategic assessment signed off",
                  "Strategy adopted and published"):
        assert title in words
    assert "Risk Board signs off the strategic assessment" in text  # a transition's title
    assert "Report author" in text  # its role in words
    assert "MK Together Management Board carries &#39;Strategic assessment - early findings&#39;" in text
    assert "Safer MK Partnership" in text and "Jonathan Ellery, Chief Executive (Milton Keynes Council)" in text
    assert "Tuesday 13 July 2021" in text  # the July meeting of the cycle of 2021, on the timeline
    assert "assessment_sign_off" not in re.sub(r"<svg.*?</svg>", "", text, flags=re.S).replace('id="', "")
    missing = client.get("/definitions/nothing_here", headers=HTML)
    assert missing.status_code == 404 and "There is no definition &#39;nothing_here&#39;" in missing.text
    refused = client.get("/definitions/community_safety_strategy?year=nineteen", headers=HTML)
    assert refused.status_code == 422
    assert "Enter the cycle year as four digits from 2000 to 2100" in refused.text


def test_the_reminders_preview_lists_a_year_of_reminders_with_their_people(web: Site, folder: Path) -> None:
    client, _ = admin(web)
    page = client.get("/definitions/community_safety_strategy/reminders?year=2021", headers=HTML)
    assert page.status_code == 200
    api = web.client().get("/api/v1/definitions/community_safety_strategy/reminders?year=2021",
                           headers=web.token("committee_manager")).json()
    assert api and f"{len({(r['when'], r['subject'], r['stage']) for r in api})} reminder" in page.text
    first = api[0]
    assert first["subject"].replace("'", "&#39;") in page.text
    assert "Priya Shah, Head of Partnerships and Resilience (Milton Keynes Council)" in page.text
    assert "Early findings of the strategic assessment discussed" in page.text
    assert 'name="year" type="text" value="2021"' in page.text


def test_a_broken_upload_shows_each_problem_beside_its_line_and_writes_nothing(web: Site, folder: Path) -> None:
    client, csrf = admin(web)
    before = snapshot(folder)
    page = upload(client, csrf, "community_safety_strategy.yaml", broken())
    assert page.status_code == 422
    text = page.text
    assert "There is a problem" in text
    line_180 = text[text.index('id="line-180"'):text.index('id="line-181"')]
    assert "app-line--error" in line_180 and "quorum: three" in line_180
    assert "Line 180, boards.safer_mk.quorum: Expected a whole number, got &#39;three&#39;." in line_180
    line_346 = text[text.index('id="line-346"'):text.index('id="line-347"')]
    assert "app-line--error" in line_346
    assert "2 weeks after discuss_early_finding fired" in line_346
    assert ("Line 346, stages.assessment_sign_off.due: Unknown trigger (a transition of the cycle) "
            "&#39;discuss_early_finding&#39; — did you mean &#39;discuss_early_findings&#39;?") in line_346
    assert "&lt;b&gt;Strategic&lt;/b&gt;" in text and "<b>Strategic" not in text
    assert 'href="#problem-1"' in text and 'href="#problem-2"' in text
    line_179 = text[text.index('id="line-179"'):text.index('id="line-180"')]
    assert "app-line--error" not in line_179
    assert "Lines 1 to 175: no problem" in text and 'id="line-175"' not in text  # sound stretches fold
    assert snapshot(folder) == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_uploads_that_are_not_yaml_too_large_or_another_definitions_file_are_refused_in_a_sentence(
        web: Site, folder: Path) -> None:
    client, csrf = admin(web)
    cases = [
        ("notes.txt", raised(), "&#39;notes.txt&#39; is not a YAML file: a definition is uploaded as a .yaml or "
                                   ".yml file."),
        ("big.yaml", b"#" * (1024 * 1024 + 1), "The definition file is larger than 1 MB."),
    ]
    (folder / "stolen.yaml").write_text(SHIPPED.replace("id: community_safety_strategy", "id: other_thing", 1))
    before = snapshot(folder)
    cases.append(("y.yaml", SHIPPED.replace("id: community_safety_strategy", "id: stolen", 1),
                  "The file stolen.yaml in the definitions folder defines &#39;other_thing&#39;, another definition: a file "
                  "for &#39;stolen&#39; would overwrite it."))
    cases.append(("z.yaml", SHIPPED.replace("id: community_safety_strategy", "id: other_thing", 1),
                  "&#39;other_thing&#39; is defined by stolen.yaml in the definitions folder, not other_thing.yaml: "
                  "saving it would leave two files for one definition."))
    for name, body, sentence in cases:
        page = upload(client, csrf, name, body)
        assert page.status_code == 422, (name, page.text[:500])
        assert "There is a problem" in page.text
        assert sentence in page.text, name
        assert 'id="file-error"' in page.text
    assert snapshot(folder) == before


def test_a_fixed_upload_becomes_the_folders_file_and_the_notice_names_its_version(web: Site, folder: Path) -> None:
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    client, csrf = admin(web)
    changed_same_version = SHIPPED.replace("title: Strategic assessment signed off\n", "title: Signed off\n", 1)
    refused = upload(client, csrf, "community_safety_strategy.yaml", changed_same_version)
    assert refused.status_code == 422
    assert f"raise its &#39;version&#39; to {SHIPPED_VERSION + 1}" in refused.text
    assert (folder / "community_safety_strategy.yaml").read_text(encoding="utf-8") == SHIPPED
    saved = upload(client, csrf, "my draft.yaml", raised())
    assert saved.status_code == 303 and saved.headers["location"] == "/definitions/community_safety_strategy"
    assert (folder / "community_safety_strategy.yaml").read_text(encoding="utf-8") == raised()
    page = client.get(saved.headers["location"], headers=HTML)
    assert ("my draft.yaml is saved as community_safety_strategy.yaml: new cycles of Community Safety Strategy "
            f"start on version {SHIPPED_VERSION + 1}. Running cycles keep the version they started on") in page.text
    assert "Strategic assessment signed off by the Risk Board" in page.text
    listed = client.get("/definitions", headers=HTML).text
    assert f"Version {SHIPPED_VERSION + 1} in the folder" in listed
    assert 'href="/cycles/community_safety_strategy-2021"' in listed[listed.index(f"Version {SHIPPED_VERSION}<"):]
    started = web.client().post("/api/v1/cycles", headers=officer,
                                json={"definition": "community_safety_strategy", "year": 2022})
    assert started.status_code == 201, started.text
    with web.engine.sessions() as session:
        versions = [(s.id, s.version) for s in web.engine.catalog.stored_versions(session)]
    assert ("community_safety_strategy", SHIPPED_VERSION + 1) in versions


def test_the_api_checks_an_upload_as_the_page_does(web: Site, folder: Path) -> None:
    checked = web.client().post("/api/v1/definitions/validate", headers=web.token("committee_manager"),
                                files={"file": ("../../community_safety_strategy.yaml", broken().encode(), "text/yaml")})
    assert checked.status_code == 422
    assert [(p["file"], p["line"], p["field"]) for p in checked.json()["problems"]] == [
        ("community_safety_strategy.yaml", 180, "boards.safer_mk.quorum"),
        ("community_safety_strategy.yaml", 346, "stages.assessment_sign_off.due")]


def test_the_list_parses_a_file_once_and_again_only_when_it_or_a_template_changes(
        web: Site, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow.store import parsed_files

    parsed: list[str] = []
    parse = parsed_files.parse_definition

    def counting(text: str, path: str = "<definition>", **kwargs: object):  # type: ignore[no-untyped-def]
        parsed.append(Path(path).name)
        return parse(text, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parsed_files, "parse_definition", counting)
    client, _ = admin(web)
    assert client.get("/definitions", headers=HTML).status_code == 200
    parsed.clear()
    page = client.get("/definitions", headers=HTML)
    assert page.status_code == 200 and "Community Safety Strategy" in page.text
    assert parsed == []  # nothing changed: every file's parse is the one kept
    (folder / "community_safety_strategy.yaml").write_text(raised() + "# read once\n", encoding="utf-8")
    page = client.get("/definitions", headers=HTML)
    assert f"Version {SHIPPED_VERSION + 1} in the folder" in page.text  # the change shows at once
    assert parsed == ["community_safety_strategy.yaml"]
    (folder / "community_safety_strategy.yaml").write_text(broken() + "# read once\n", encoding="utf-8")
    page = client.get("/definitions", headers=HTML)
    assert "community_safety_strategy.yaml" in page.text and "Has errors" in page.text
    parsed.clear()
    assert "Has errors" in client.get("/definitions", headers=HTML).text  # a broken file is kept broken, unparsed
    assert parsed == []
    (folder / "community_safety_strategy.yaml").write_text(SHIPPED, encoding="utf-8")
    template = next((folder / "templates").rglob("*.j2"))
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    try:
        client.get("/definitions", headers=HTML)
        assert "community_safety_strategy.yaml" in parsed  # a template changed: parsed again
    finally:
        shutil.copy(DEFINITIONS / "templates" / template.relative_to(folder / "templates"), template)
