"""The reminders preview tells the truth: what it lists is what the deadlines table comes to hold.

A whole cycle of each shipped definition is played on a simulated clock, with the workers' StageEntered
handlers and sweep run in this process (a planning test, not a worker test); every reminder deadline
the handlers create is compared with the preview made before the cycle started, and, at each stage,
with the preview of the running cycle.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from notifications import reminders
from notifications.cycle_preview import preview_cycle
from tasks.cli import main
from tests.conftest import DEFINITIONS
from workflow.app import App
from workflow.commands.sweep import Sweeper
from workflow.player import Player
from workflow.store.models import Cycle, Deadline, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import at_local
from workflow.time.deadlines import plan_stage

Key = tuple[str, str, str, int, str]  # stage, rule, kind, n, when (ISO, UTC)


def in_process(app: App) -> tuple[Handlers, Sweeper]:
    engine = app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    return handlers, Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")})


def drain(app: App, handlers: Handlers, sweeper: Sweeper) -> None:
    for _ in range(50):
        with app.engine.sessions() as session:
            pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
        for event_id in pending:
            handlers.handle(app.engine, event_id)
        if not pending and sweeper.sweep().total() == 0:
            return
    raise AssertionError("the in-process workers did not settle")


def keys(planned: list[tuple[reminders.Planned, dict]]) -> set[Key]:  # type: ignore[type-arg]
    return {(p.stage, p.rule, p.kind, p.n, p.when.isoformat()) for p, _ in planned}


def created(app: App) -> list[Deadline]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Deadline).where(Deadline.kind == reminders.REMINDER)
                                    .order_by(Deadline.id)))


@pytest.mark.parametrize(("definition_id", "year"), [("community_safety_strategy", 2021),
                                                     ("alcohol_pspo_variation", 2025)])
def test_the_preview_is_every_reminder_the_deadlines_table_comes_to_hold(app: App, definition_id: str,
                                                                          year: int) -> None:
    engine = app.engine
    definition = engine.catalog.load(definition_id)
    templates = engine.catalog.templates_for_snapshot(definition)
    engine.clock.set(at_local(dt.date(year, definition.starts_in, 1), 9))  # type: ignore[attr-defined]
    promised = reminders.preview_year(definition, year, templates, if_late=True)
    assert len({p.stage for p, _ in promised}) > 1, "every stage's reminders, not only the first's"
    handlers, sweeper = in_process(app)
    key = engine.start(definition_id, year, next(p.id for p in definition.people.values()
                                               if set(p.roles) & set(definition.permissions["start"]))).cycle
    drain(app, handlers, sweeper)
    seen_running: set[Key] = set()

    def settle(done, what: str) -> None:  # type: ignore[no-untyped-def]
        drain(app, handlers, sweeper)
        # At every moment the player stops, the running cycle's preview is what is still to come.
        with engine.sessions() as session:
            cycle = session.scalars(select(Cycle).where(Cycle.key == key)).one()
            if cycle.status == "active":
                running = preview_cycle(session, cycle, engine.catalog.snapshot(session, cycle.definition_id,
                                                                                cycle.definition_version),
                                        templates, engine.clock.now(), if_late=True)
                still = keys(running)
                assert still <= keys(promised), f"the running preview promises only what was promised ({what})"
                pending = {(d.stage, d.data["rule"], d.data["kind"], d.data["n"], d.due_at.isoformat())
                           for d in created(app) if d.status == "pending"}
                assert pending <= still, f"every pending reminder is in the running preview ({what})"
                seen_running.update(still)
        assert done() or what == "", what

    player = Player(engine, engine.clock, definition, key, year,  # type: ignore[arg-type]
                    await_scheduler=lambda done, what: settle(done, what))
    player.play()
    drain(app, handlers, sweeper)
    rows = created(app)
    made = {(d.stage, d.data["rule"], d.data["kind"], d.data["n"], d.due_at.isoformat()) for d in rows}
    assert made == keys(promised)
    assert len(made) == len(rows), "each reminder planned once"
    sent = {(d.stage, d.data["rule"], d.data["kind"], d.data["n"], d.due_at.isoformat())
            for d in rows if d.status == "done"}
    on_schedule = keys([item for item in promised if not item[0].if_late])
    assert sent == on_schedule, "on schedule, exactly the reminders not marked 'if late' went"
    expected = {p.stage for p, _ in promised if p.expected}
    if definition_id == "alcohol_pspo_variation":
        # Counted from when the consultation is entered and the order is made: planned, and marked so.
        assert {"consultation", "review"} <= expected
    else:
        assert expected == set()


def test_a_running_cycles_preview_lists_the_reminders_its_deadlines_hold(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
           "CYCLE_NOW": "2025-05-01T09:30:00+01:00"}
    runner = CliRunner()
    assert runner.invoke(main, ["start", "alcohol_pspo_variation", "--year", "2025",
                                "--as", "community_safety_officer"], env=env).exit_code == 0
    # Not handled by a worker yet: the evidence stage's reminders are shown as its handler will plan them:
    # five working days before 16 May, on the day, and the escalation if the evidence is not in a week after it.
    shown = runner.invoke(main, ["reminders", "preview", "alcohol_pspo_variation-2025", "--json", "--if-late",
                                 "--until", "2025-05-31"], env=env)
    assert shown.exit_code == 0, shown.output
    rows = {(r["when"][:10], r["kind"], r["if_late"]) for r in json.loads(shown.output) if r["stage"] == "evidence"}
    assert rows == {("2025-05-09", "before", False), ("2025-05-16", "due", False), ("2025-05-23", "escalation", True)}
    later = runner.invoke(main, ["reminders", "preview", "alcohol_pspo_variation-2025", "--json"], env=env)
    stages = {r["stage"] for r in json.loads(later.output)}
    assert {"draft_variation", "consultation", "cabinet_decision", "review"} <= stages
    table = runner.invoke(main, ["reminders", "preview", "alcohol_pspo_variation-2025"], env=env)
    assert "(expected)" in table.output


def test_an_overdue_stage_shows_the_reminders_its_deadlines_hold(app: App) -> None:
    engine = app.engine
    handlers, sweeper = in_process(app)
    definition = engine.catalog.load("community_safety_strategy")
    engine.start("community_safety_strategy", 2021, "head_of_partnerships")
    drain(app, handlers, sweeper)
    # MK Together met on 13 July and nothing was recorded: a week later the stage is overdue.
    engine.clock.set(at_local(dt.date(2021, 7, 21), 10))  # type: ignore[attr-defined]
    drain(app, handlers, sweeper)
    pending = {(d.data["kind"], d.due_at) for d in created(app) if d.status == "pending"}
    assert pending and all(kind in ("overdue", "escalation") for kind, _ in pending)
    with engine.sessions() as session:
        cycle = session.scalars(select(Cycle)).one()
        shown = preview_cycle(session, cycle, definition, engine.catalog.templates_for_snapshot(definition),
                              engine.clock.now())
    assert {(p.kind, p.when) for p, _ in shown if p.stage == "early_findings"} == pending
    assert all(p.if_late for p, _ in shown if p.stage == "early_findings")
    assert {p.stage for p, _ in shown} > {"early_findings"}, "and the later stages' reminders after them"
