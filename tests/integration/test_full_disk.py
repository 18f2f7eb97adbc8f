"""A full data directory: commands say so in one sentence and write nothing, no event is lost, and all
recovers when space returns (the embedded default on a 4 MB tmpfs the test mounts; needs root)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tasks.app import HANDLE_EVENT, create_app
from tasks.cli import main
from tests.conftest import DEFINITIONS, make_settings
from tests.helpers import AUTHOR, CYCLE, counts
from workflow.app import build
from workflow.store.models import OutboxEvent
from workflow.store.outbox import relay
from workflow.time.clock import SimulatedClock, at_local


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.fail(f"this test mounts a small tmpfs and could not ({mounted.stderr.strip()}); run it as root",
                    pytrace=False)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    # Unbuffered: a buffered file would fail once more when closed, flushing what no longer fits.
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def test_a_full_data_directory_gives_a_sentence_loses_no_event_and_recovers(
    small_disk: Path, tmp_path: Path, clock: SimulatedClock
) -> None:
    clock.set(at_local(dt.date(2021, 7, 13), 10))  # MK Together's meeting day: a decision for a meeting held
    settings = dataclasses.replace(make_settings(small_disk), relay_interval=0.1)
    app = build(settings, clock=clock)
    broker = create_app(settings)
    env = {"CYCLE_DATA_DIR": str(small_disk), "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
           "CYCLE_NOW": clock.now().isoformat()}
    paper = tmp_path / "findings.txt"
    paper.write_bytes(os.urandom(64 * 1024))
    try:
        app.engine.start("community_safety_strategy", 2021, AUTHOR)
        filler = fill(small_disk)
        before = counts(app)
        attach = ["attach", CYCLE, "early_findings", str(paper), "--as", AUTHOR]
        refused = CliRunner().invoke(main, attach, env=env)
        assert refused.exit_code == 5, refused.output
        assert "is full; free some space and try again. Nothing was written." in refused.stderr
        assert "Traceback" not in refused.output
        assert counts(app) == before
        voting = ",".join(app.engine.catalog.load("community_safety_strategy").boards["mk_together"].voting)
        decide = CliRunner().invoke(main, ["decide", CYCLE, "--board", "mk_together", "--item", "early_findings",
                                           "--as", "committee_manager", "--for", voting], env=env)
        assert decide.exit_code == 5, decide.output  # SQLite: "database or disk is full"
        assert "is full; free some space and try again. Nothing was written." in decide.stderr
        assert counts(app) == before

        # The relay cannot ring the file broker's bell: its events stay in the outbox, not marked sent.
        def publish(event_id: int, event_type: str) -> None:
            broker.send_task(HANDLE_EVENT, args=[event_id])

        with pytest.raises(Exception, match=r"No space left|cannot add a message"):
            relay(app.engine, publish)
        with app.engine.sessions() as session:
            waiting = session.execute(select(OutboxEvent.id, OutboxEvent.dispatched_at)).all()
        assert len(waiting) == 2 and all(dispatched is None for _, dispatched in waiting)

        filler.unlink()
        assert relay(app.engine, publish) == 2, "space is back: both events are published"
        accepted = CliRunner().invoke(main, attach, env=env)
        assert accepted.exit_code == 0, accepted.output
        assert counts(app)["papers"] == before["papers"] + 1
    finally:
        broker.close()
        app.close()
