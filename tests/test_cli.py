"""The `cycle` command line, as an officer or admin would use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEFINITIONS, SHIPPED_VERSION
from tests.helpers import CYCLE
from workflow.cli import main


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-13T10:00:00+01:00"}

    def run(*args: str, now: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **({"CYCLE_NOW": now} if now else {})})

    return run


def test_validate_reports_the_shipped_definition(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert f"'community_safety_strategy' version {SHIPPED_VERSION}, 9 stages, 8 transitions, 4 boards" in result.output


def test_validate_names_file_line_and_field(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    text = (DEFINITIONS / "community_safety_strategy.yaml").read_text()
    broken.write_text(text.replace("dest: final_draft_sign_off", "dest: final_draft_signoff"))
    line = next(i for i, row in enumerate(broken.read_text().splitlines(), 1) if "final_draft_signoff" in row)
    result = cli("validate", str(broken))
    assert result.exit_code == 2
    assert (f"{broken}:{line}: transitions[4] (close_consultation).dest: unknown stage 'final_draft_signoff' "
            "— did you mean 'final_draft_sign_off'?") in result.stderr


def test_show_prints_the_dated_timeline(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("show", "community_safety_strategy", "--year", "2021", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    timeline = {row["milestone"]: row["date"] for row in shown["timeline"]}
    assert timeline["risk_board_august"] == "2021-08-19"
    assert timeline["consultation"] == "2022-01-31"
    assert next(s["id"] for s in shown["stages"]) == "early_findings"
    table = cli("show", "community_safety_strategy", "--year", "2021")
    assert "Thu 19 Aug 2021" in table.output and "Transitions" in table.output


def test_diagram_is_a_mermaid_state_diagram(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("diagram", "community_safety_strategy")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> early_findings" in lines
    assert "    adopted --> [*]" in lines
    assert any(line.startswith("    consultation --> final_draft_sign_off: close_consultation (timed)") for line in lines)
    assert "        --" in lines, "the consultation's strands are concurrent regions"


def test_an_officer_walks_the_first_gate(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("start", "community_safety_strategy", "--year", "2021", "--as", "head_of_partnerships").exit_code == 0
    refused = cli("fire", CYCLE, "discuss_early_findings", "--as", "head_of_partnerships")
    assert refused.exit_code == 3
    assert "not possible yet" in refused.stderr and "Traceback" not in refused.stderr
    paper = tmp_path / "early.txt"
    paper.write_text("Early findings\n")
    attached = cli("attach", CYCLE, "early_findings", str(paper), "--as", "head_of_partnerships")
    assert attached.exit_code == 0 and "sha256" in attached.output
    decided = cli("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", "committee_manager",
                  "--for", "director_policy,director_childrens_services", "--for", "police_area_commander",
                  "--apologies", "ccg_chief_operating_officer", "--present", "council_chief_executive",
                  "--interest", "director_policy: sits on the DASP board",
                  "--resolution", "That the early findings be noted.")
    assert decided.exit_code == 0, decided.output
    assert "CARRIED (3 for, 0 against, 0 abstaining; 3 voting members present, quorum 3)" in decided.output
    fired = cli("fire", CYCLE, "discuss_early_findings", "--as", "head_of_partnerships", "--comment", "Noted")
    assert fired.exit_code == 0
    assert "'early_findings' → 'assessment_sign_off'" in fired.output
    status = json.loads(cli("status", CYCLE, "--json").output)
    assert status["stage"] == "assessment_sign_off"
    assert status["due"] == "2021-08-19"
    assert status["actions"][0]["trigger"] == "sign_off_assessment"
    assert status["actions"][0]["people"] == ["head_of_partnerships"]
    history = json.loads(cli("history", CYCLE, "--json").output)
    assert [h["action"] for h in history] == ["start", "attach", "decide", "fire"]
    assert history[-1]["comment"] == "Noted"
    listed = json.loads(cli("list", "--json").output)
    assert [(c["cycle"], c["stage"]) for c in listed] == [(CYCLE, "assessment_sign_off")]
    assert "Strategic assessment signed off" in cli("status", CYCLE).output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["start", "community_safety_strategy", "--year", "2021", "--as", "committee_manager"], 3,
         "needs one of the roles report_author"),
        (["start", "community_safety_strategi", "--year", "2021", "--as", "head_of_partnerships"], 1,
         "did you mean 'community_safety_strategy'"),
        (["status", "nothing-2021"], 1, "there is no cycle 'nothing-2021'"),
    ],
)
def test_errors_go_to_stderr_with_an_exit_code(cli, args: list[str], code: int, message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.output


def test_decide_refuses_a_malformed_interest(cli) -> None:  # type: ignore[no-untyped-def]
    cli("start", "community_safety_strategy", "--year", "2021", "--as", "head_of_partnerships")
    result = cli("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", "committee_manager",
                 "--for", "director_policy", "--interest", "director_policy")
    assert result.exit_code == 2
    assert "should read 'person: what the interest is'" in result.stderr


def test_a_bad_clock_setting_is_explained(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("list", now="next tuesday")
    assert result.exit_code == 1
    assert "CYCLE_NOW='next tuesday' is not a date and time" in result.stderr


def test_an_unreachable_database_is_explained(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": "postgresql://clerk:secret@127.0.0.1:1/cycles",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": ""}
    result = CliRunner().invoke(main, ["list"], env=env)
    assert result.exit_code == 5
    assert "cannot use the database at postgresql://clerk:***@127.0.0.1:1/cycles" in result.stderr
    assert "check CYCLE_DATABASE_URL" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr
