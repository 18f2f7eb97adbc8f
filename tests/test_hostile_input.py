"""Hostile or absurd input on the command line: one sentence and the documented exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tasks.cli import main
from tests.conftest import DEFINITIONS

USAGE, NOT_FOUND = 2, 1


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
            "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-13T10:00:00+01:00"}


@pytest.mark.parametrize(("args", "code", "sentence"), [
    (["status", "²"], NOT_FOUND, "there is no cycle '²'"),
    (["status", "12345678901234567890123"], NOT_FOUND, "there is no cycle '12345678901234567890123'"),
    (["history", "12345678901234567890123"], NOT_FOUND, "there is no cycle '12345678901234567890123'"),
    (["mail", "show", "²"], USAGE, "'²' is not a valid integer"),
    (["mail", "show", "12345678901234567890123"], USAGE, "is not in the range 1<=x<=2147483647"),
    (["documents", "export", "12345678901234567890123", "--out", "x.pdf"], USAGE, "is not in the range"),
    (["show", "community_safety_strategy", "--year", "99999"], USAGE, "99999 is not in the range 1900<=x<=9998"),
    (["start", "community_safety_strategy", "--year", "99999", "--as", "x"], USAGE, "is not in the range"),
    (["clock", "set", "9999-12-31T23:59:59-23:59"], USAGE, "is beyond the last moment a clock can show"),
    (["show", "d" * 100_000], NOT_FOUND, "(100000 characters) is neither"),
    (["start", "d" * 100_000, "--year", "2021", "--as", "x"], NOT_FOUND, "at most 1000 characters"),
])
def test_absurd_input_gets_one_sentence(env: dict[str, str], args: list[str], code: int, sentence: str) -> None:
    result = CliRunner().invoke(main, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.output
    assert sentence in " ".join(result.output.split())
    assert "Traceback" not in result.output
