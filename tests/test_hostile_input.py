"""Hostile or absurd input on the command line: one sentence and the documented exit code, never a traceback."""

from __future__ import annotations

import shutil
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


@pytest.mark.parametrize(("written", "reason"), [
    ("a@b.c,evil@x.example", "invalid characters"),
    ('"<a@b.c>"', "angle brackets"),
    ('"head.partnerships@example.org\\u2028"', "unsafe characters: LINE SEPARATOR"),
])
def test_an_email_field_holds_exactly_one_address(env: dict[str, str], tmp_path: Path, written: str,
                                                   reason: str) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(DEFINITIONS / "templates", folder / "templates")
    path = folder / "strategy.yaml"
    text = (DEFINITIONS / "community_safety_strategy.yaml").read_text()
    path.write_text(text.replace("email: head.partnerships@example.org", f"email: {written}", 1))
    line = text.splitlines().index("    email: head.partnerships@example.org") + 1
    result = CliRunner().invoke(main, ["validate", str(path)], env=env)
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"{path}:{line}: people.head_of_partnerships.email:" in flat
    assert "is not one email address" in flat and reason in flat


@pytest.mark.parametrize(("body", "reason"), [
    ("{{ 10 ** 100000000 }}", "a power of 100000000 is larger than the 1000 a template may raise to"),
    ("{% for i in range(9000) %}{% for j in range(9000) %}{% for k in range(9000) %}{% endfor %}{% endfor %}"
     "{% endfor %}", "rendering took longer than 2 seconds"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "rendering recursed too deeply"),
    ("{{ 10 ** 999 * 10 ** 999 * 10 ** 999 * 10 ** 999 * 10 ** 999 }}", "a number is too large to print"),
    ("{{ 'a' * 1000000000 }}", "makes more than 100,000 items"),
])
def test_a_template_that_would_hang_or_explode_is_a_definition_error(
    env: dict[str, str], tmp_path: Path, body: str, reason: str
) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(DEFINITIONS / "templates", folder / "templates")
    (folder / "templates" / "reminder_board.txt.j2").write_text("Dear colleague,\n" + body + "\n")
    path = folder / "strategy.yaml"
    text = (DEFINITIONS / "community_safety_strategy.yaml").read_text()
    path.write_text(text)
    line = text.splitlines().index("    template: reminder_board") + 1
    result = CliRunner().invoke(main, ["validate", str(path)], env=env)
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"{path}:{line}: reminders.board_decision.template: template 'reminder_board.txt.j2' (line 2)" in flat
    assert reason in flat and "Traceback" not in result.output


def test_a_template_breaking_a_bound_at_send_is_a_definition_error_with_file_and_line(tmp_path: Path) -> None:
    """Data a sample did not have can still blow a bound when the real email is rendered."""
    from workflow.definition.templating import make_environment, render_bounded
    from workflow.errors import DefinitionError

    (tmp_path / "t.txt.j2").write_text("Papers:\n{% for p in papers %}{{ p * 1000000 }}{% endfor %}\n")
    env = make_environment(tmp_path)
    assert render_bounded(env, "t.txt.j2", {"papers": []}) == "Papers:\n"
    with pytest.raises(DefinitionError) as refused:
        render_bounded(env, "t.txt.j2", {"papers": ["a" * 1000]})
    assert str(refused.value.problems[0]) == (
        f"{tmp_path / 't.txt.j2'}:2: template: template 't.txt.j2' tries something the sandbox forbids: "
        "repeating by 1000000 makes more than 100,000 items")
