"""`cycle agenda`: the agenda shown as the seed lays it out (or as JSON), the committee manager's changes, and each
refusal as one sentence with a non-zero exit code and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from tests.agenda_setup import agenda_app
from tests.helpers import AUTHOR, CLERK
from web.cli import main
from workflow.app import App
from workflow.store.models import AgendaChange

__all__ = ["agenda_app"]
MEETING = ["mk_together", "2021-07-13"]


def _cycle(app: App, *args: str, now: str = "2021-07-01T10:00:00+01:00") -> Result:
    settings = app.settings
    env = {"CYCLE_DATA_DIR": str(settings.data_dir), "CYCLE_DATABASE_URL": settings.database_url,
           "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir), "CYCLE_NOW": now}
    return CliRunner().invoke(main, ["agenda", *args], env=env)


def _written(app: App) -> int:
    with app.engine.sessions() as session:
        return session.scalar(select(func.count()).select_from(AgendaChange)) or 0


def test_show_lays_the_agenda_out_and_says_when_to_issue_it(agenda_app: App) -> None:
    shown = _cycle(agenda_app, "show", *MEETING, "--as", CLERK)
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "When: 2.00 pm Tuesday 13 July 2021" in text
    assert "Issue by Monday 5 July 2021" in text
    assert "Enquiries: Helen Marsh, committee.manager@example.org" in text
    assert text.index("1. Welcome, Introductions and Apologies") < text.index("5. Strategic assessment - early") \
        < text.index("7. Exclusion of Public and Press") < text.index("PRIVATE ITEMS") < text.index("8. ")
    assert "Named victims annex" in text
    public = _cycle(agenda_app, "show", *MEETING)
    assert public.exit_code == 0 and "Named victims annex" not in public.output and "PRIVATE" not in public.output


def test_show_as_json(agenda_app: App) -> None:
    shown = _cycle(agenda_app, "show", *MEETING, "--as", CLERK, "--json")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.output)
    assert found["day"] == "2021-07-13" and found["issue_by"] == "2021-07-05"
    assert [i["number"] for i in found["public_items"]] == [1, 2, 3, 4, 5, 6, 7]
    assert found["private_items"][0]["exempt_paragraph"] == 2


def test_the_committee_manager_changes_and_issues_it(agenda_app: App) -> None:
    added = _cycle(agenda_app, "add", *MEETING, "--title", "Early Intervention and Prevention Work",
                   "--purpose", "For information", "--as", CLERK)
    assert added.exit_code == 0, added.output
    assert "Added as item 6: Early Intervention and Prevention Work" in added.output
    moved = _cycle(agenda_app, "move", *MEETING, "6", "--to", "4", "--as", CLERK)
    assert moved.exit_code == 0 and "4. Early Intervention and Prevention Work" in moved.output
    withdrawn = _cycle(agenda_app, "withdraw", *MEETING, "5", "--reason", "Covered by item 4", "--as", CLERK)
    assert withdrawn.exit_code == 0, withdrawn.output
    issued = _cycle(agenda_app, "issue", *MEETING, "--as", CLERK)
    assert issued.exit_code == 0 and "issued as version 1" in issued.output
    assert "Issued: version 1 on 1 July 2021" in _cycle(agenda_app, "show", *MEETING, "--as", CLERK).output
    assert _written(agenda_app) == 4


def test_issuing_late_warns(agenda_app: App) -> None:
    late = _cycle(agenda_app, "issue", *MEETING, "--as", CLERK, now="2021-07-07T10:00:00+01:00")
    assert late.exit_code == 0
    assert "issued after the notice deadline (Monday 5 July 2021" in late.output


def test_refusals_are_one_sentence_with_an_exit_code_and_nothing_written(agenda_app: App, tmp_path: Path) -> None:
    cases = [
        (["add", *MEETING, "--title", "AOB", "--as", AUTHOR], 3, "cannot change or issue the agendas"),
        (["withdraw", *MEETING, "42", "--reason", "x", "--as", CLERK], 3, "the agenda has no item '42'"),
        (["show", "mk_together", "13/07/2021"], 2, "give the meeting's date as YYYY-MM-DD"),
        (["show", "mk_together", "2021-07-14"], 1, "no meeting on 14 July 2021"),
        (["show", *MEETING, "--as", "scrutiny_chair"], 3, "for the members of the MK Together Management Board"),
    ]
    for args, code, words in cases:
        result = _cycle(agenda_app, *args)
        assert result.exit_code == code, (args, result.output)
        assert words in " ".join(result.output.split()), (args, result.output)
        assert "Traceback" not in result.output
    assert _cycle(agenda_app, "issue", *MEETING, "--as", CLERK).exit_code == 0
    after = _cycle(agenda_app, "add", *MEETING, "--title", "AOB", "--as", CLERK)
    assert after.exit_code == 3 and "issued as version 1" in after.output
    assert _written(agenda_app) == 1


def test_help_says_meeting_is_a_date(agenda_app: App) -> None:
    shown = _cycle(agenda_app, "show", "--help")
    assert "MEETING(themeeting'sdate,YYYY-MM-DD)" in "".join(shown.output.split())
