"""A contact changed or removed, and a letter marked posted: each a sealed history row that keeps no personal value
in clear, `cycle history verify` passing after them; refusals are one sentence, a non-zero exit and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from tasks.cli import main
from tests.audit_tampering import keyed
from tests.helpers import CYCLE
from tests.test_contact_reminders import OFFICER, _sweep_until_family_update, running  # noqa: F401 (a fixture)
from workflow.app import App
from workflow.store.models import CaseLetter, CaseLetterPost, HistoryEntry

ANN = ("Ann Example", "ann@example.net", "1 High Street, Milton Keynes, MK1 1AA")


def _cli(app: App, tmp_path: Path, now: str = "2021-07-09T10:00:00+01:00"):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(app.settings.data_dir), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(tmp_path / "defs"), "CYCLE_NOW": now,
           "CYCLE_AUDIT_KEY_FILE": str(app.settings.audit_key_file or "")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)
    return run


def _history(app: App) -> list[HistoryEntry]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(HistoryEntry).order_by(HistoryEntry.id)))


def test_every_contact_change_is_a_sealed_history_row_of_digests_and_the_history_verifies(
        running: App, tmp_path: Path) -> None:  # noqa: F811
    app = keyed(running, tmp_path)
    app.engine.start("community_safety_strategy", 2021, OFFICER)
    cli = _cli(app, tmp_path)
    added = cli("contacts", "add", CYCLE, "--role", "family_contact", "--name", ANN[0], "--email", ANN[1],
                "--as", OFFICER)
    assert added.exit_code == 0, added.output
    changed = cli("contacts", "change", CYCLE, "1", "--email", "", "--address", ANN[2], "--as", OFFICER)
    assert changed.exit_code == 0, changed.output
    assert "changed email, address" in changed.output
    listed = json.loads(cli("contacts", "list", CYCLE, "--as", OFFICER, "--json").output)
    assert listed == [{"id": 1, "role": "family_contact", "name": "Ann Example", "email": None,
                       "address": "1 High Street\nMilton Keynes\nMK1 1AA"}]
    same = cli("contacts", "change", CYCLE, "1", "--name", "Ann  Example", "--as", OFFICER)
    assert same.exit_code == 0 and "nothing changed" in same.output
    removed = cli("contacts", "remove", CYCLE, "1", "--as", OFFICER)
    assert removed.exit_code == 0, removed.output

    rows = [h for h in _history(app) if h.action.startswith("contact_")]
    assert [(h.action, sorted(h.data.get("values", {}))) for h in rows] == [
        ("contact_added", ["email", "name"]), ("contact_changed", ["address", "email"]),
        ("contact_removed", [])], "one row per change; an unchanged save writes none"
    assert all(h.seal for h in rows), "sealed like every other row"
    assert rows[1].data["values"]["email"] is None, "a value cleared is recorded as cleared"
    assert all(len(v["hmac-sha256"]) == 64 for v in rows[0].data["values"].values())
    said = json.dumps([h.data for h in _history(app)])
    for value in ("Ann", "example.net", "High Street", "MK1"):
        assert value not in said, f"{value!r} is personal data: never in clear in the history"
    shown = cli("history", CYCLE)
    assert shown.exit_code == 0 and "Ann" not in shown.output and "High Street" not in shown.output
    verified = cli("history", "verify")
    assert verified.exit_code == 0, verified.output
    app.close()


def test_a_contact_change_refused_is_one_sentence_and_writes_nothing(running: App, tmp_path: Path) -> None:  # noqa: F811
    running.engine.start("community_safety_strategy", 2021, OFFICER)
    cli = _cli(running, tmp_path)
    assert cli("contacts", "add", CYCLE, "--role", "family_contact", "--name", ANN[0], "--email", ANN[1],
               "--as", OFFICER).exit_code == 0
    before = len(_history(running))
    for args, said in (
            (("1", "--name", "Bob", "--as", "police_area_commander"), "cannot manage the contacts of cycles of"),
            (("1", "--email", "", "--as", OFFICER), "needs an email, a postal address or both"),
            (("1", "--email", "nowhere", "--name", " ", "--as", OFFICER), "'nowhere' is not an email address"),
            (("7", "--name", "Bob", "--as", OFFICER), "has no contact 7")):
        refused = cli("contacts", "change", CYCLE, *args)
        assert refused.exit_code != 0 and said in refused.output, refused.output
        assert "Traceback" not in refused.output
    both = cli("contacts", "change", CYCLE, "1", "--email", "nowhere", "--name", " ", "--as", OFFICER)
    assert "a contact's name is 1 to 200 characters" in both.output, "every problem at once"
    assert len(_history(running)) == before
    listed = json.loads(cli("contacts", "list", CYCLE, "--as", OFFICER, "--json").output)
    assert [(c["name"], c["email"]) for c in listed] == [(ANN[0], ANN[1])]


def test_a_letter_marked_posted_leaves_the_letters_to_post_once_with_who_and_when(
        running: App, tmp_path: Path) -> None:  # noqa: F811
    engine = running.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    cli = _cli(running, tmp_path)
    assert cli("contacts", "add", CYCLE, "--role", "family_contact", "--name", ANN[0], "--address", ANN[2],
               "--as", OFFICER).exit_code == 0
    _sweep_until_family_update(running)
    with engine.sessions() as session:
        [letter] = session.scalars(select(CaseLetter.id)).all()
    cli = _cli(running, tmp_path, now="2021-07-12T10:00:00+01:00")
    assert f"{letter}  " in cli("letters", "list", CYCLE, "--to-post", "--as", OFFICER).output
    before = len(_history(running))
    for args, said in ((("--on", "2021-07-13", "--as", OFFICER), "is after today"),
                       (("--on", "2021-06-01", "--as", OFFICER), "cannot have been posted on Tuesday 1 June 2021"),
                       (("--on", "13/07/2021", "--as", OFFICER), "'13/07/2021' does not match the format"),
                       (("--as", "police_area_commander"), "cannot manage the contacts of cycles of")):
        refused = cli("letters", "posted", str(letter), *args)
        assert refused.exit_code != 0 and said in refused.output, refused.output
        assert "Traceback" not in refused.output
    missing = cli("letters", "posted", "99", "--as", OFFICER)
    assert missing.exit_code != 0 and "there is no letter 99" in missing.output
    assert len(_history(running)) == before

    posted = cli("letters", "posted", str(letter), "--on", "2021-07-12", "--as", OFFICER)
    assert posted.exit_code == 0 and "marked posted on Monday 12 July 2021" in posted.output, posted.output
    assert "no letters to post" in cli("letters", "list", CYCLE, "--to-post", "--as", OFFICER).output
    assert "posted on Monday 12 July 2021 by head_of_partnerships" in cli("letters", "list", CYCLE, "--as", OFFICER).output
    again = cli("letters", "posted", str(letter), "--as", OFFICER)
    assert again.exit_code != 0 and "was marked posted on Monday 12 July 2021 by head_of_partnerships" in again.output
    with engine.sessions() as session:
        assert len(session.scalars(select(CaseLetterPost)).all()) == 1
    [row] = [h for h in _history(running) if h.action == "letter_posted"]
    assert (row.actor, row.data["letter"], row.data["posted_on"]) == (OFFICER, letter, "2021-07-12")
    assert cli("history", "verify").exit_code == 0
