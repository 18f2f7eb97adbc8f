"""`cycle attach` against hostile files: role, kind and size checked before reading; safe names; bounded titles."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CYCLE, counts, paper_file
from workflow.app import App
from workflow.cli import main
from workflow.store.models import Paper

ENV = {"CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-05T10:00:00+01:00"}


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {**ENV, "CYCLE_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str, **extra: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **extra})

    assert run("start", SHIPPED, "--year", "2021", "--as", AUTHOR).exit_code == 0
    return run


def within(seconds: float, call):  # type: ignore[no-untyped-def]
    """Run `call` in a thread; fail, rather than hang the suite, if it blocks."""
    found: list[Result] = []
    thread = threading.Thread(target=lambda: found.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert found, f"the command was still running after {seconds} s: it blocked"
    return found[0]


@pytest.mark.parametrize("actor", [AUTHOR, "nobody", "scrutiny_chair"])
def test_a_device_is_refused_with_a_sentence_before_it_is_read(cli, actor: str) -> None:  # type: ignore[no-untyped-def]
    result = within(30, lambda: cli("attach", CYCLE, "early_findings", "/dev/zero", "--as", actor))
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    if actor == AUTHOR:
        assert "/dev/zero is a device, not a regular file" in result.output
    else:
        assert "/dev/zero" not in result.output, "refused for the role, the file never looked at"


def test_a_pipe_is_refused_without_blocking(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "paper.pdf"
    os.mkfifo(fifo)
    result = within(30, lambda: cli("attach", CYCLE, "early_findings", str(fifo), "--as", AUTHOR))
    assert result.exit_code == 3 and "is a pipe, not a regular file" in result.output, result.output


def test_a_file_over_the_size_limit_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    big = paper_file(tmp_path, "big", "x" * 2000)
    result = cli("attach", CYCLE, "early_findings", str(big), "--as", AUTHOR, CYCLE_MAX_PAPER_BYTES="1000")
    assert result.exit_code == 3 and "over the 1000 bytes a paper may be (CYCLE_MAX_PAPER_BYTES)" in result.output
    assert cli("attach", CYCLE, "early_findings", str(big), "--as", AUTHOR).exit_code == 0, "under the 50 MB default"
    bad = cli("attach", CYCLE, "early_findings", str(big), "--as", AUTHOR, CYCLE_MAX_PAPER_BYTES="lots")
    assert bad.exit_code == 1 and "CYCLE_MAX_PAPER_BYTES='lots' should be a whole number of bytes" in bad.output


def test_the_file_name_is_made_safe_to_send(app: App, tmp_path: Path) -> None:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    hostile = tmp_path / "minutes\r\nBcc: x@evil.example\u2028\x07.pdf"
    hostile.write_bytes(b"%PDF-1.4 minutes")
    app.engine.attach(CYCLE, "early_findings", hostile, AUTHOR)
    with app.engine.sessions() as session:
        stored = session.query(Paper).one()
    assert stored.filename == "minutes Bcc: x@evil.example .pdf"
    assert stored.media_type == "application/pdf"


@pytest.mark.parametrize("title", ["T" * 301, "two\nlines", "   "])
def test_a_title_the_column_cannot_hold_is_refused_and_nothing_written(app: App, tmp_path: Path, title: str) -> None:
    from workflow.errors import InvalidInput

    app.engine.start(SHIPPED, 2021, AUTHOR)
    before = counts(app)
    with pytest.raises(InvalidInput, match="a paper's title is one line of 1 to 300 characters"):
        app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR, title=title)
    assert counts(app) == before
    assert not (app.settings.papers_dir).exists() or not any(app.settings.papers_dir.rglob("*")), "no file stored"


def test_a_paper_belongs_to_the_stage_it_was_attached_for(app: App, tmp_path: Path) -> None:
    from workflow.errors import InvalidInput

    app.engine.start(SHIPPED, 2021, AUTHOR)
    app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    app.engine.attach(CYCLE, "recommended_priorities", paper_file(tmp_path, "rp"), AUTHOR, stage="priorities")
    with app.engine.sessions() as session:
        assert [(p.paper, p.stage) for p in session.query(Paper).order_by(Paper.id)] == [
            ("early_findings", "early_findings"), ("recommended_priorities", "priorities")]
    with pytest.raises(InvalidInput, match="has no stage 'prioritys' — did you mean 'priorities'"):
        app.engine.attach(CYCLE, "recommended_priorities", paper_file(tmp_path, "rp"), AUTHOR, stage="prioritys")


def test_papers_attached_before_the_upgrade_get_the_stage_their_history_recorded(app: App, tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from workflow.store import db

    app.engine.start(SHIPPED, 2021, AUTHOR)
    app.engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa"), AUTHOR, exempt=1)
    config = db.alembic_config(app.database)
    command.downgrade(config, "0005")  # as a database of the previous release: no papers.stage
    db.upgrade(app.database)
    with app.database.connect() as connection:
        assert connection.execute(text("SELECT paper, stage FROM papers")).all() == [
            ("strategic_assessment", "early_findings")]
