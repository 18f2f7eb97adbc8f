"""`cycle agenda pack`: the committee manager writes the pack a member is sent; anyone else is refused, with
nothing written."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from click.testing import CliRunner, Result
from pypdf import PdfReader

from tests.agenda_setup import agenda_app
from tests.helpers import AUTHOR, CLERK
from web.cli import main
from workflow.app import App

__all__ = ["agenda_app"]
MEETING = ["mk_together", "2021-07-13"]


def _cycle(app: App, *args: str) -> Result:
    settings = app.settings
    env = {"CYCLE_DATA_DIR": str(settings.data_dir), "CYCLE_DATABASE_URL": settings.database_url,
           "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir), "CYCLE_NOW": "2021-07-01T10:00:00+01:00"}
    return CliRunner().invoke(main, ["agenda", "pack", *args], env=env)


def _text(path: Path) -> str:
    """The PDF's words, with its line breaks as spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_the_committee_manager_writes_the_public_and_the_private_pack(agenda_app: App, tmp_path: Path) -> None:
    public, private, word = tmp_path / "pack.pdf", tmp_path / "private.pdf", tmp_path / "agenda.docx"
    done = _cycle(agenda_app, *MEETING, "--out", str(public), "--as", CLERK)
    assert done.exit_code == 0, done.output
    assert "Wrote the public pack of the MK Together Management Board (July)" in done.output
    text = _text(public)
    assert "MK TOGETHER MANAGEMENT BOARD" in text and "Tuesday 13 July 2021" in text
    assert "Exclusion of Public and Press" in text and "Named victims annex" not in text
    assert _cycle(agenda_app, *MEETING, "--out", str(private), "--private", "--as", CLERK).exit_code == 0
    assert "Named victims annex" in _text(private) and "NOT FOR PUBLICATION" in _text(private)
    assert _cycle(agenda_app, *MEETING, "--out", str(word), "--as", CLERK).exit_code == 0
    paragraphs = "\n".join(p.text for p in docx.Document(str(word)).paragraphs)
    assert "Agenda" in paragraphs and "Named victims annex" not in paragraphs


def test_anyone_but_the_committee_manager_and_a_bad_file_are_refused(agenda_app: App, tmp_path: Path) -> None:
    target = tmp_path / "pack.pdf"
    refused = _cycle(agenda_app, *MEETING, "--out", str(target), "--private", "--as", AUTHOR)
    assert refused.exit_code != 0 and "cannot make the agenda packs" in refused.output
    assert "Traceback" not in refused.output and not target.exists()
    for args, says in ((["--out", str(tmp_path / "pack.txt")], "should end in .pdf"),
                       (["--out", str(tmp_path / "nowhere" / "pack.pdf")], "there is no folder"),
                       (["--out", str(target), "--as", "nobody"], "is not in the directory")):
        if "--as" not in args:
            args = [*args, "--as", CLERK]
        result = _cycle(agenda_app, *MEETING, *args)
        assert result.exit_code != 0 and says in result.output and "Traceback" not in result.output
    wrong_day = _cycle(agenda_app, "mk_together", "13/07/2021", "--out", str(target), "--as", CLERK)
    assert wrong_day.exit_code != 0 and "YYYY-MM-DD" in wrong_day.output
    assert not target.exists()
