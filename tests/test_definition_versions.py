"""A definition version is its text and its templates; files from outside the folder are an administrator's act."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED, SHIPPED_VERSION, make_settings

AUTHOR = "head_of_partnerships"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py", "rehearsals"))
    return copy


@pytest.fixture
def cli(tmp_path: Path, folder: Path):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(folder), "CYCLE_NOW": "2021-07-01T09:00:00+01:00"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    return run


def _subjects(cli, cycle: str) -> set[str]:  # type: ignore[no-untyped-def]
    result = cli("reminders", "preview", cycle, "--json")
    assert result.exit_code == 0, result.output
    return {row["subject"] for row in json.loads(result.output)}


def test_a_changed_template_needs_a_raised_version_and_running_cycles_keep_theirs(cli, folder: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("start", SHIPPED, "--year", "2021", "--as", AUTHOR).exit_code == 0
    before = _subjects(cli, f"{SHIPPED}-2021")
    subject = folder / "templates" / "reminder_board.subject.j2"
    subject.write_text("EDITED " + subject.read_text())

    refused = cli("start", SHIPPED, "--year", "2022", "--as", AUTHOR)
    assert refused.exit_code == 1
    assert (f"the templates reminder_board.subject.j2 have changed since version {SHIPPED_VERSION} of "
            "'community_safety_strategy' "
            "was first used") in " ".join(refused.output.split())
    assert _subjects(cli, f"{SHIPPED}-2021") == before  # the running cycle renders with its stored templates

    path = folder / f"{SHIPPED}.yaml"
    path.write_text(path.read_text().replace(f"version: {SHIPPED_VERSION}", f"version: {SHIPPED_VERSION + 1}", 1))
    assert cli("start", SHIPPED, "--year", "2022", "--as", AUTHOR).exit_code == 0
    assert any(s.startswith("EDITED ") for s in _subjects(cli, f"{SHIPPED}-2022"))
    assert _subjects(cli, f"{SHIPPED}-2021") == before


def test_a_file_outside_the_folder_cannot_take_over_a_folder_definition(cli, folder: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "mine"
    shutil.copytree(folder / "templates", elsewhere / "templates")
    copy = elsewhere / "strategy.yaml"
    copy.write_text((folder / f"{SHIPPED}.yaml").read_text().replace(f"version: {SHIPPED_VERSION}", "version: 50", 1))
    for flags in ([], ["--outside-folder"]):
        result = cli("start", str(copy), "--year", "2021", "--as", AUTHOR, *flags)
        assert result.exit_code == 3, result.output
        assert "a file from elsewhere can never start a cycle of a folder definition" in " ".join(result.output.split())
    # Nothing of the copy was stored: the folder's own version, then its real next one, start as ever.
    assert cli("start", SHIPPED, "--year", "2021", "--as", AUTHOR).exit_code == 0
    path = folder / f"{SHIPPED}.yaml"
    path.write_text(path.read_text().replace(f"version: {SHIPPED_VERSION}", f"version: {SHIPPED_VERSION + 1}", 1).replace(
        "Early findings of the strategic assessment discussed", "Early findings presented"))
    assert cli("start", SHIPPED, "--year", "2022", "--as", AUTHOR).exit_code == 0


def test_a_new_definition_from_outside_the_folder_needs_the_flag(cli, folder: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "drafts"
    shutil.copytree(folder / "templates", elsewhere / "templates")
    draft = elsewhere / "draft.yaml"
    draft.write_text((folder / f"{SHIPPED}.yaml").read_text().replace(f"id: {SHIPPED}", "id: draft_strategy", 1))
    refused = cli("start", str(draft), "--year", "2021", "--as", AUTHOR)
    assert refused.exit_code == 3
    assert "starting a cycle from it is an administrator's act: give --outside-folder" in " ".join(
        refused.output.split())
    started = cli("start", str(draft), "--year", "2021", "--as", AUTHOR, "--outside-folder")
    assert started.exit_code == 0, started.output
    assert "draft_strategy-2021" in started.output


def test_the_demo_refuses_a_folder_that_is_not_its_own(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = cli("demo", "--data-dir", str(precious))
    assert result.exit_code == 3
    assert "is not empty and is not an earlier demo's folder" in " ".join(result.output.split())
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_the_engine_starts_a_text_by_id_only_and_the_command_line_may_name_a_file(cli, folder: Path,  # type: ignore[no-untyped-def]
                                                                                   tmp_path: Path) -> None:
    # A text given to the engine (what the web passes on) is an id: the folder's `<id>.yaml`, never a path.
    from workflow.app import build
    from workflow.errors import UnknownDefinition

    (tmp_path / "engine").mkdir()
    app = build(dataclasses.replace(make_settings(tmp_path / "engine"), definitions_dir=folder))
    try:
        for named in ("/etc/passwd", "../definitions/community_safety_strategy", str(folder / f"{SHIPPED}.yaml")):
            with pytest.raises(UnknownDefinition, match="is not a definition id"):
                app.engine.start(named, 2021, AUTHOR)
        with pytest.raises(UnknownDefinition, match="there is no definition 'nothing_here'"):
            app.engine.start("nothing_here", 2021, AUTHOR)
    finally:
        app.close()
    # The operator on the server's command line may name the folder's file by its path, as before.
    started = cli("start", str(folder / f"{SHIPPED}.yaml"), "--year", "2021", "--as", AUTHOR)
    assert started.exit_code == 0, started.output


def test_a_device_or_pipe_named_as_a_definition_is_refused_without_reading_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from workflow.definition.loader import load_definition
    from workflow.errors import DefinitionError

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)  # no writer: opening or reading it would block
    for named, kind in (("/dev/zero", "a device"), (str(pipe), "a pipe")):
        for command in (("validate", named), ("start", named, "--year", "2021", "--as", AUTHOR)):
            refused = cli(*command)
            assert refused.exit_code == 1 and f"there is no definition file at {named}" in refused.output
        # The loader itself, should a file be swapped for one after that check, reads none of it.
        with pytest.raises(DefinitionError, match=f"the file is {kind}, not a regular file"):
            load_definition(named)
