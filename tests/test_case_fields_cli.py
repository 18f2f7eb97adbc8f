"""`cycle start --field`, `cycle fields set|show`, `cycle status` and `cycle retention run` as an officer types them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.test_case_fields import folder
from workflow.cli import main

Run = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(folder(tmp_path)), "CYCLE_NOW": "2026-04-07T10:00:00+01:00"}

    def run(*args: str, now: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **({"CYCLE_NOW": now} if now else {})})

    return run


def start(cli: Run, *fields: str) -> Result:
    return cli("start", "case_review", "--year", "2026", "--as", "officer_a",
               *(part for field in fields for part in ("--field", field)))


def test_start_refuses_bad_values_with_a_sentence_each_and_exit_code_3(cli: Run) -> None:
    result = start(cli, "date_of_death=2026-13-01", "panel_size=lots", "review_kind=long")
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "Enter name of the person who died: it is needed to start" in result.output
    assert "Date of death must be a real date written as year-month-day, like 2026-03-14" in result.output
    assert "Panel size must be a number, like 3 or 2.5" in result.output
    assert "Kind of review must be one of: full, short" in result.output
    assert cli("list").output.count("case_review-2026") == 0
    assert start(cli, "subject_name").exit_code == 3  # no '='
    assert "'subject_name' is not a field: write it as name=value" in start(cli, "subject_name").output


def test_fields_are_set_shown_to_the_entitled_and_erased_after_retention(cli: Run) -> None:
    started = start(cli, "subject_name=Alex Example", "date_of_death=2026-03-14")
    assert started.exit_code == 0, started.output
    assert cli("fields", "set", "case_review-2026", "panel_size=3", "report_due=2026-04-07",
               "--as", "clerk_b").exit_code == 0
    refused = cli("fields", "set", "case_review-2026", "panel_size=4", "--as", "chair_c")
    assert refused.exit_code == 3 and "chair_c cannot fields on 'case_review'" in refused.output
    bad = cli("fields", "set", "case_review-2026", "family_contact_email=not-an-address", "--as", "clerk_b")
    assert bad.exit_code == 3 and "Family contact's email must be an email address" in bad.output
    officer = cli("fields", "show", "case_review-2026", "--as", "officer_a")
    assert "Alex Example" in officer.output and "14 March 2026" in officer.output
    public = cli("status", "case_review-2026")
    assert "Case details" in public.output and "Alex Example" not in public.output and "(withheld)" in public.output
    history = cli("history", "case_review-2026", "--json")
    assert "Alex Example" not in history.output and "2026-03-14" not in history.output
    [set_at_start, _] = [h for h in json.loads(history.output) if h["action"] == "fields"]
    assert list(set_at_start["data"]["fields"]["subject_name"]) == ["hmac-sha256"]
    for trigger in ("commission", "write_report", "close"):
        assert cli("fire", "case_review-2026", trigger, "--as", "officer_a").exit_code == 0
    assert "no personal data is past" in cli("retention", "run", now="2028-04-06T10:00:00+01:00").output
    erased = cli("retention", "run", now="2028-04-07T10:00:00+01:00")
    assert "case_review-2026: erased date_of_death, family_contact_email, subject_name" not in erased.output
    assert "case_review-2026: erased date_of_death, subject_name" in erased.output
    verified = cli("history", "verify")
    assert verified.exit_code == 0, verified.output
    shown = cli("fields", "show", "case_review-2026", "--as", "officer_a")
    assert "Alex Example" not in shown.output and "erased" in shown.output


def test_show_lists_the_case_fields_and_their_retention(cli: Run) -> None:
    shown = cli("show", "case_review")
    assert shown.exit_code == 0, shown.output
    assert "Case fields (personal ones kept 2 years after closing)" in shown.output
    assert "subject_name" in shown.output and "choice: full, short" in shown.output
    assert "'Panel size' is at least 3" in shown.output  # a field gate, described
