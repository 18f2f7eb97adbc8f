"""The second example definition, the Alcohol PSPO variation, run from start to its last stage on workers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.integration.test_workers import unhandled
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.player import Player
from workflow.store.models import Deadline
from workflow.time.clock import at_local

PSPO = "alcohol_pspo_variation"
CYCLE = f"{PSPO}-2025"


def test_the_pspo_variation_runs_for_three_years_on_workers(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path
) -> None:
    worker = Worker(worker_env(pg_url, machine_redis, tmp_path), tmp_path / "worker.log")
    engine = shared.engine
    try:
        engine.clock.set(at_local(dt.date(2025, 4, 1), 9))  # type: ignore[attr-defined]
        engine.start(PSPO, 2025, "community_safety_officer")

        def await_scheduler(done: Any, what: str) -> None:
            wait_until(done, f"the workers to {what}", 60, check=worker.check)

        Player(engine, engine.clock, engine.catalog.load(PSPO), CYCLE, 2025,  # type: ignore[arg-type]
               await_scheduler=await_scheduler).play()
        wait_until(lambda: unhandled(shared) == 0, "every event to be handled", 60, check=worker.check)
    finally:
        worker.stop()
    status = engine.status(CYCLE)
    assert (status.stage, status.status) == ("reviewed", "complete")
    history = engine.history(CYCLE)
    stages = [(h["to"], h["at"][:10]) for h in history if h["action"] == "fire" and not h["strand"]]
    assert [stage for stage, _ in stages] == ["draft_variation", "consultation", "cabinet_report", "cabinet_decision",
                                              "order_made", "in_force", "review", "reviewed"]
    when = {stage: at for stage, at in stages}
    assert when["consultation"] == "2025-06-02", "launched in June"
    # Timed steps fire at the end of their day, English time: 23:59 that day (22:59 UTC in summer).
    assert when["cabinet_report"] == "2025-07-28", "closed by the scheduler after eight weeks, not before six"
    assert when["in_force"] == "2025-09-16", "made two weeks after Cabinet: it expires on 16 September 2028"
    assert when["review"] == "2028-03-16", "begun at the end of 16 March 2028, six months before the order expires"
    # What the scheduler fired; the system also writes each document's anchor into the history ('document').
    by_system = [(h["trigger"], h["strand"]) for h in history if h["actor"] == "system" and h["action"] == "fire"]
    assert by_system == [("close", "public_survey"), ("close_consultation", None), ("begin_review", None)]
    decision = next(h for h in history if h["action"] == "decide")
    assert decision["data"]["outcome"] == "carried" and decision["data"]["voting_present"] >= 4
    with shared.engine.sessions() as session:
        pending = session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == "pending"))
    assert pending == 0, "a finished cycle leaves no deadline waiting"
