"""Reads are checked: `--as` on status and history, and a data directory only its owner can read."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEFINITIONS, REPO, SHIPPED
from tests.helpers import AUTHOR, CYCLE, paper_file
from workflow.cli import main

SECRET, NOTE = "Operation KINGFISHER", "names the two suspects"


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-05T10:00:00+01:00"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert run("start", SHIPPED, "--year", "2021", "--as", AUTHOR).exit_code == 0
    annex = paper_file(tmp_path, "annex", "case list\n")
    attached = run("attach", CYCLE, "early_findings", str(annex), "--as", AUTHOR, "--exempt", "7",
                   "--title", SECRET, "--comment", NOTE)
    assert attached.exit_code == 0, attached.output
    return run


def test_status_names_an_exempt_paper_only_to_those_entitled(cli) -> None:  # type: ignore[no-untyped-def]
    entitled = cli("status", CYCLE, "--as", "director_policy")  # votes on MK Together, whose paper it is
    assert entitled.exit_code == 0 and SECRET in entitled.output
    for reader in (["--as", "fire_group_commander"], ["--as", "scrutiny_officer"], []):
        shown = cli("status", CYCLE, *reader)
        assert shown.exit_code == 0, shown.output
        assert SECRET not in shown.output and "(exempt paper, withheld)" in shown.output
        assert "1 exempt paper withheld" in shown.output
    data = json.loads(cli("status", CYCLE, "--json").stdout)
    assert data["papers"][0]["withheld"] and data["papers"][0]["sha256"] is None


def test_history_keeps_an_exempt_attachments_comment_from_those_not_entitled(cli) -> None:  # type: ignore[no-untyped-def]
    entitled = json.loads(cli("history", CYCLE, "--as", "committee_manager", "--json").stdout)
    assert [r["comment"] for r in entitled if r["action"] == "attach"] == [NOTE]
    public = cli("history", CYCLE)
    assert public.exit_code == 0 and NOTE not in public.output and "exempt, withheld" in public.output
    rows = json.loads(cli("history", CYCLE, "--as", "probation_manager", "--json").stdout)
    attach = next(r for r in rows if r["action"] == "attach")
    assert attach["comment"] is None and "sha256" not in attach["data"]


def test_an_unknown_reader_is_refused_with_a_sentence(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("status", CYCLE, "--as", "directr_policy")
    assert result.exit_code == 3
    assert "'directr_policy' is not in the directory" in result.output and "did you mean 'director_policy'" in result.output


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_the_data_directory_is_0700_and_every_file_in_it_0600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "cycle.db").touch()
    (data / "cycle.db").chmod(0o644)  # as an earlier version left them (an empty file is an empty database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLE_")}
    env.update({"CYCLE_DATA_DIR": str(data), "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
                "CYCLE_NOW": "2021-07-01T09:00:00+01:00", "CYCLE_RELAY_INTERVAL": "0.2", "CYCLE_SWEEP_INTERVAL": "0.3"})

    def cycle(*args: str, **extra: str) -> None:
        subprocess.run([sys.executable, "-m", "tasks", *args], env={**env, **extra}, cwd=REPO, check=True,
                       capture_output=True, timeout=120, umask=0o022)  # a usual umask: the command sets its own

    cycle("start", SHIPPED, "--year", "2021", "--as", AUTHOR)
    cycle("attach", CYCLE, "early_findings", str(paper_file(tmp_path, "ef")), "--as", AUTHOR, "--exempt", "1")
    # A worker three working days before the meeting: it plans, sweeps and writes the reminders as .eml files.
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", "tasks", "worker", "--pool", "solo", "--concurrency", "1"],
                              env={**env, "CYCLE_NOW": "2021-07-08T10:00:00+01:00"}, cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True, umask=0o022)
    try:
        deadline = time.monotonic() + 90
        while len(list((data / "outbox").glob("*.eml"))) < 7:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker wrote no reminders in 90 s"
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        log.close()
    modes = _modes(data)
    top = {p.split("/")[0] for p in modes}
    assert {"cycle.db", "outbox", "papers", "broker"} <= top and any(p.startswith("scheduler-state") for p in top)
    wrong = {path: oct(mode) for path, mode in modes.items()
             if mode != (0o700 if (data / path).is_dir() else 0o600)}
    assert not wrong, f"not private: {wrong}"


def test_the_resolution_comment_and_reason_of_a_private_decision_are_for_those_entitled_only(cli) -> None:  # type: ignore[no-untyped-def]
    # The early findings' only paper is exempt: MK Together decides on them in private session.
    votes = ("--for", "director_policy,director_childrens_services,police_area_commander")
    first = cli("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", "committee_manager",
                *votes, "--meeting-date", "2021-07-05", "--resolution", f"That {SECRET} be referred to the police.",
                "--comment", "the family were told in the private session")
    assert first.exit_code == 0, first.output
    amended = cli("decide", CYCLE, "--board", "mk_together", "--item", "early_findings", "--as", "committee_manager",
                  *votes, "--meeting-date", "2021-07-05", "--amends", "1", "--reason", "the suspects were named",
                  "--resolution", f"That {SECRET} be closed.")
    assert amended.exit_code == 0, amended.output
    secrets = (SECRET, "the family were told", "the suspects were named")

    entitled = json.loads(cli("status", CYCLE, "--as", "director_policy", "--json").output)
    assert [d["withheld"] for d in entitled["decisions"]] == [None, None]
    assert entitled["decisions"][1]["reason"] == "the suspects were named"
    history = cli("history", CYCLE, "--as", "director_policy", "--json").output
    assert all(secret in history for secret in secrets[1:])
    for reader in (["--as", "fire_group_commander"], ["--as", "scrutiny_officer"], []):
        shown = cli("status", CYCLE, *reader, "--json")
        assert shown.exit_code == 0, shown.output
        decisions = json.loads(shown.output)["decisions"]
        assert [d["withheld"] for d in decisions] == ["private business"] * 2, reader
        assert [(d["resolution"], d["reason"], d["outcome"]) for d in decisions] == [(None, None, "carried")] * 2
        assert not any(secret in shown.output for secret in secrets), reader
        rows = cli("history", CYCLE, *reader, "--json")
        assert rows.exit_code == 0 and not any(secret in rows.output for secret in secrets[1:]), reader
        decided = [h for h in json.loads(rows.output) if h["action"] == "decide"]
        assert [(h["comment"], h["data"]["withheld"]) for h in decided] == [(None, "private business")] * 2
        table = cli("history", CYCLE, *reader)
        assert "decisions' comments and reasons withheld" in table.stderr, table.stderr
