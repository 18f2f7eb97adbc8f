"""Verify holds a cycle's definition and version to the last start or migrate row of its history."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.test_cycle_upgrade import ADMIN, CYCLE, cli, defs, running, version_two  # noqa: F401 (fixtures)
from workflow.app import App


def test_a_version_put_back_after_a_migration_is_named(running: App, tmp_path: Path,  # noqa: F811
                                                       defs: Path) -> None:  # noqa: F811
    version_two(defs)
    moved = cli(tmp_path, defs, "migrate", CYCLE, "--to-version", "2", "--as", ADMIN,
                "--map", "consultation=public_consultation")
    assert moved.exit_code == 0, moved.output
    assert cli(tmp_path, defs, "history", "verify").exit_code == 0
    with running.database.begin() as connection:
        connection.execute(text("UPDATE cycles SET definition_version = 1"))
    result = cli(tmp_path, defs, "history", "verify")
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert (f"cycle {CYCLE}: runs on version 1 of its definition but history row") in said
    assert "(migrate) put it on version 2: the cycle's row was changed outside the commands" in said


def test_another_definition_under_the_cycle_is_named(running: App, tmp_path: Path, defs: Path) -> None:  # noqa: F811
    with running.database.begin() as connection:
        connection.execute(text("UPDATE cycles SET definition_id = 'community_safety_strategy'"))
    result = cli(tmp_path, defs, "history", "verify")
    assert result.exit_code == 1
    assert (f"runs on definition 'community_safety_strategy' but was started as {CYCLE}"
            in " ".join(result.output.split()))
