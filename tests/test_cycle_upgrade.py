"""`cycle migrate`: a running cycle moved to a corrected version of its definition, by an admin."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from tests.conftest import DEFINITIONS, first_version, make_settings
from tests.helpers import counts, cycle_version
from workflow.app import App, build
from workflow.cli import main
from workflow.store.models import Deadline, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import SimulatedClock, at_local
from workflow.time.deadlines import plan_stage

CYCLE = "alcohol_pspo_variation-2021"
LEAD = "community_safety_officer"
ADMIN = "systems_officer"


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    (folder / "alcohol_pspo_variation.yaml").write_text((DEFINITIONS / "alcohol_pspo_variation.yaml").read_text())
    first_version(folder / "alcohol_pspo_variation.yaml")
    return folder


@pytest.fixture
def running(tmp_path: Path, defs: Path) -> Iterator[App]:
    """Version 1 running, in its consultation since Monday 14 June 2021, with its deadlines planned."""
    clock = SimulatedClock(at_local(dt.date(2021, 5, 10), 10))
    app = build(dataclasses.replace(make_settings(tmp_path), definitions_dir=defs), clock=clock)
    engine = app.engine
    paper = tmp_path / "paper.txt"
    paper.write_text("A paper.\n")
    engine.start("alcohol_pspo_variation", 2021, LEAD)
    for name in ("evidence_report", "draft_variation", "consultation_document"):
        engine.attach(CYCLE, name, paper, LEAD)
    engine.fire(CYCLE, "submit_evidence", LEAD)
    clock.set(at_local(dt.date(2021, 6, 14), 10))
    engine.fire(CYCLE, "launch_consultation", LEAD)
    engine.fire(CYCLE, "launch", LEAD, strand="public_survey")
    handle_entries(app)
    yield app
    app.close()


def handle_entries(app: App) -> None:
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", lambda s, e, now: plan_stage(app.engine, s, e, now))
    with app.engine.sessions() as session:
        entries = list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "StageEntered",
                                                                    OutboxEvent.handled_at.is_(None))))
    for event_id in entries:
        handlers.handle(app.engine, event_id)


def version_two(defs: Path) -> None:
    """The consultation (and the trigger into it) renamed and lengthened to ten weeks; a new Cabinet member."""
    path = defs / "alcohol_pspo_variation.yaml"
    text = path.read_text().replace("version: 1", "version: 2")
    text = re.sub(r"\bconsultation\b(?= entered|:\n|$| *#)", "public_consultation", text, flags=re.M)
    text = text.replace("2 days before consultation", "2 days before public_consultation")
    text = text.replace("launch_consultation", "open_consultation")  # the stage keeps its day of entry all the same
    text = text.replace("8 weeks after public_consultation entered", "10 weeks after public_consultation entered")
    text = text.replace("cabinet_member_housing", "cabinet_member_homes").replace("cm.housing", "cm.homes")
    text = text.replace("Cabinet Member for Housing", "Cabinet Member for Homes")
    path.write_text(text)


def cli(tmp_path: Path, defs: Path, *args: str) -> Result:
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(defs),
           "CYCLE_NOW": "2021-06-21T10:00:00+01:00"}
    return CliRunner().invoke(main, list(args), env=env)


def pending(app: App) -> list[tuple[str, str | None, dt.date]]:
    with app.engine.sessions() as session:
        rows = session.scalars(select(Deadline).where(Deadline.status == "pending").order_by(Deadline.id))
        return [(d.kind, d.trigger, d.due_at.date()) for d in rows]


def test_an_unmappable_move_is_refused_with_nothing_written(running: App, tmp_path: Path, defs: Path) -> None:
    version_two(defs)
    before, version = counts(running), cycle_version(running, CYCLE)
    result = cli(tmp_path, defs, "migrate", CYCLE, "--to-version", "2", "--as", ADMIN)
    assert result.exit_code == 3
    assert ("cycle alcohol_pspo_variation-2021 is at 'consultation', which version 2 removes: say where it goes "
            "with --map consultation=<stage>") in result.stderr
    assert "Traceback" not in result.stderr
    officer = cli(tmp_path, defs, "migrate", CYCLE, "--to-version", "2", "--as", LEAD,
                  "--map", "consultation=public_consultation")
    assert officer.exit_code == 3 and "needs one of the roles admin" in officer.stderr
    assert counts(running) == before and cycle_version(running, CYCLE) == version


def test_a_dry_run_then_the_move_with_its_history_and_new_deadlines(running: App, tmp_path: Path, defs: Path) -> None:
    old_deadlines = pending(running)
    entered = next(e for e in running.engine.outbox(CYCLE)
                   if e["type"] == "StageEntered" and e["payload"]["stage"] == "consultation")
    assert entered["payload"]["due"] == "2021-08-09", "eight weeks from the day it opened, not from the plan"
    # Due at the end of the day, English time: 23:00 UTC in summer.
    assert ("timed_transition", "close_consultation", dt.date(2021, 8, 9)) in old_deadlines
    version_two(defs)
    before = counts(running)
    dry = cli(tmp_path, defs, "migrate", CYCLE, "--to-version", "2", "--as", ADMIN,
              "--map", "consultation=public_consultation", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would move alcohol_pspo_variation-2021 from version 1 to 2" in dry.output
    assert "consultation → public_consultation" in dry.output
    assert "cabinet_member_homes joins (Cabinet Member for Homes)" in dry.output
    assert "cabinet: cabinet_member_housing voting → not a member" in dry.output
    assert "'close_consultation' fired by the scheduler: 2021-08-09 → 2021-08-23" in dry.output
    assert "Nothing was written (dry run)." in dry.output
    assert counts(running) == before and pending(running) == old_deadlines
    earlier = running.engine.history(CYCLE)

    moved = cli(tmp_path, defs, "migrate", CYCLE, "--to-version", "2", "--as", ADMIN,
                "--map", "consultation=public_consultation", "--comment", "Ten weeks, as Cabinet asked", "--json")
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.output)["done"] is True
    status = running.engine.status(CYCLE)
    assert (status.version, status.stage, status.due) == (2, "public_consultation", "2021-08-23")
    assert {s["strand"]: s["state"] for s in status.strands}["public_survey"] == "open", "strands keep their progress"
    history = running.engine.history(CYCLE)
    assert [h["action"] for h in history].count("migrate") == 1
    row = history[-1]
    assert (row["action"], row["actor"], row["from"], row["to"]) == ("migrate", ADMIN, "consultation",
                                                                      "public_consultation")
    assert row["data"]["from_version"] == 1 and row["data"]["renamed"] == {"consultation": "public_consultation"}
    assert history[:-1] == earlier, "the move adds a row and edits none"
    assert pending(running) == [], "the old plan is cancelled in the same transaction"
    handle_entries(running)
    replanned = {(kind, trigger): due for kind, trigger, due in pending(running)}
    assert replanned[("timed_transition", "close_consultation")] == dt.date(2021, 8, 23)
    # The consultation still counts from the day it opened: its six weeks end on Monday 26 July.
    refused = cli(tmp_path, defs, "fire", CYCLE, "close_consultation", "--as", LEAD)
    assert refused.exit_code == 3 and "it can close on Monday 26 July 2021" in refused.stderr
