"""The engine on the real PostgreSQL of this machine: races, refusals, and save-and-reload."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from tests.conftest import REPO, SHIPPED, empty_tables, make_settings
from tests.helpers import AUTHOR, CYCLE, counts, cycle_version, paper_file
from workflow.app import App, build
from workflow.errors import ConcurrentChange, CycleFinished, GateNotMet, NotAllowedFromHere, Refused
from workflow.player import Player
from workflow.time.clock import SimulatedClock


@pytest.fixture
def race_app(pg_app: App, pg_url: str, tmp_path: Path, clock: SimulatedClock) -> Iterator[App]:
    settings = dataclasses.replace(make_settings(tmp_path, pg_url), definitions_dir=REPO / "tests" / "data")
    app = build(settings, clock=clock)
    yield app
    app.close()


@contextmanager
def _held_after_reading_the_cycle(app: App, barrier: threading.Barrier) -> Iterator[set[str]]:
    """Make each racing command wait, once it has read the cycle's row, until the other has read it too: both
    then write from the same version. Watched at the driver, so it holds however the engine reads the row."""
    bind = app.engine.sessions.kw["bind"]
    held: set[str] = set()

    def wait(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        racing = threading.current_thread().name
        if (racing.startswith("officer") and racing not in held and statement.lstrip().upper().startswith("SELECT")
                and "FROM cycles" in statement):
            held.add(racing)
            barrier.wait(timeout=10)

    event.listen(bind, "after_cursor_execute", wait)
    try:
        yield held  # the racing threads held so far
    finally:
        event.remove(bind, "after_cursor_execute", wait)


def test_two_officers_at_once_one_wins_the_other_is_told(race_app: App) -> None:
    race_app.engine.start("race", 2026, "officer_a")
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def act(officer: str, trigger: str) -> None:
        try:
            outcomes[officer] = race_app.engine.fire("race-2026", trigger, officer)
        except Refused as exc:
            outcomes[officer] = exc

    threads = [threading.Thread(target=act, args=("officer_a", "approve"), name="officer-a"),
               threading.Thread(target=act, args=("officer_b", "withdraw"), name="officer-b")]
    with _held_after_reading_the_cycle(race_app, barrier) as held:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert held == {"officer-a", "officer-b"}  # both read the cycle before either wrote
    refused = [o for o in outcomes.values() if isinstance(o, Exception)]
    won = [o for o in outcomes.values() if not isinstance(o, Exception)]
    assert len(won) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], ConcurrentChange)
    assert "changed while your command was running" in str(refused[0])
    status = race_app.engine.status("race-2026")
    assert status.stage == won[0].to_state
    fires = [h for h in race_app.engine.history("race-2026") if h["action"] == "fire"]
    assert len(fires) == 1 and fires[0]["to"] == won[0].to_state
    # The loser, told the cycle moved, now gets the ordinary answer.
    with pytest.raises(CycleFinished, match="is complete"):
        race_app.engine.fire("race-2026", "approve" if won[0].to_state == "withdrawn" else "withdraw", "officer_a")


def test_refused_commands_write_nothing_on_postgres(pg_app: App, tmp_path: Path) -> None:
    pg_app.engine.start(SHIPPED, 2021, AUTHOR)
    pg_app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    before, version = counts(pg_app), cycle_version(pg_app)
    with pytest.raises(GateNotMet, match="has not yet recorded its decision"):
        pg_app.engine.fire(CYCLE, "discuss_early_findings", AUTHOR, comment="too early")
    with pytest.raises(NotAllowedFromHere):
        pg_app.engine.fire(CYCLE, "agree_priorities", AUTHOR)
    assert counts(pg_app) == before
    assert cycle_version(pg_app) == version
    with pg_app.database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM history WHERE comment = 'too early'")).scalar() == 0


def _summary(app: App) -> dict[str, Any]:
    history = [(h["at"], h["actor"], h["action"], h["trigger"], h["strand"], h["from"], h["to"])
               for h in app.engine.history(CYCLE)]
    status = app.engine.status(CYCLE)
    return {
        "stage": status.stage, "status": status.status, "history": history,
        "papers": [(p["paper"], p["sha256"]) for p in status.papers],
        "decisions": status.decisions,
        "events": [(e["type"], {k: v for k, v in e["payload"].items() if k != "cycle_id"})
                   for e in app.engine.outbox(CYCLE)],
    }


class _ReloadingEngine:
    """An engine rebuilt from the database before every command: nothing survives in memory."""

    def __init__(self, settings: Any, clock: SimulatedClock) -> None:
        self.settings, self.clock, self.reloads = settings, clock, 0
        self._app = build(settings, clock=clock)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._app.engine, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._app.close()
            self._app = build(self.settings, clock=self.clock)
            self.reloads += 1
            return getattr(self._app.engine, name)(*args, **kwargs)

        return call

    def close(self) -> None:
        self._app.close()


def test_saved_and_reloaded_between_every_step_ends_where_an_uninterrupted_cycle_does(
    pg_app: App, pg_url: str, tmp_path: Path
) -> None:
    start = pg_app.engine.clock.now()
    pg_app.engine.start(SHIPPED, 2021, AUTHOR)
    definition = pg_app.engine.catalog.load(SHIPPED)
    Player(pg_app.engine, pg_app.engine.clock, definition, CYCLE, 2021).play()  # type: ignore[arg-type]
    uninterrupted = _summary(pg_app)
    assert uninterrupted["stage"] == "adopted"

    empty_tables(pg_url)
    clock = SimulatedClock(start)
    reloading = _ReloadingEngine(make_settings(tmp_path / "again", pg_url), clock)
    try:
        reloading.start(SHIPPED, 2021, AUTHOR)
        Player(reloading, clock, definition, CYCLE, 2021).play()  # type: ignore[arg-type]
        assert reloading.reloads > 40
    finally:
        reloading.close()
    assert _summary(pg_app) == uninterrupted
