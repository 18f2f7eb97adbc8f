"""The Risk Board's decision and the workers' transactions on the same cycle never deadlock.

A worker recording a sign-off record inserts the document row (whose foreign key takes `FOR KEY SHARE` on
the cycle's row) and then the history row anchoring it; the decision updates the cycle's row and then adds
its own history row. When the history chain's trigger took `FOR UPDATE`, each waited for the other, and
the clerk was told "the database was busy ... try again" (migration 0009d). Each round here runs, side by
side: the clerk recording a decision (an amendment of the last, so every round records one), the
documents handler on a GatePassed event and the StageEntered planners (deadlines, agenda notice), all
through `Handlers` as a worker runs them. And a meeting moved while the planners plan the deadlines of the
stage due at it: both write that entry's deadline rows, and both lock the cycle's row first.
Replay a run with CYCLE_LOCK_SEED=<seed>.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from notifications import agenda_notice, reminders
from notifications.documents import Documents
from tests.conftest import SHIPPED, make_settings
from tests.helpers import AUTHOR, CLERK, CYCLE, meet, paper_file
from tests.integration.test_documents import VOTERS, gate_event, to_risk_board_papers
from workflow.app import App, build
from workflow.commands.meetings import change_meeting
from workflow.definition.calendar import add_working_days
from workflow.store.audit import verify_history
from workflow.store.models import Cycle, Deadline, Decision, Document, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import LOCAL, SimulatedClock, at_local
from workflow.time.deadlines import plan_stage

ROUNDS = 20
MOVES = 6


@pytest.fixture
def on_database_storage(pg_app: App, pg_url: str, tmp_path: Path) -> Iterator[App]:
    """The officer's engine with papers and documents kept in PostgreSQL (CYCLE_STORAGE=database)."""
    settings = dataclasses.replace(make_settings(tmp_path / "officer", pg_url), storage="database")
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    yield app
    app.close()


def copy_of(app: App, event_id: int) -> int:
    """The event once more, as a new outbox row: each round's handlers have an event of their own to do."""
    with app.engine.unit_of_work() as session:
        original = session.get(OutboxEvent, event_id)
        assert original is not None
        return session.execute(insert(OutboxEvent).values(
            cycle_id=original.cycle_id, event_type=original.event_type, payload=original.payload,
            created_at=original.created_at, attempts=0).returning(OutboxEvent.id)).scalar_one()


def side_by_side(*work: Callable[[], Any], names: tuple[str, ...] = ()) -> list[BaseException]:
    """Run each at the same moment in a thread of its own (named as `names` says); what any of them raised."""
    start = threading.Barrier(len(work))
    raised: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:
            raised.append(exc)

    threads = [threading.Thread(target=run, args=(job,), name=name) for job, name in
               zip(work, names or [f"work-{i}" for i in range(len(work))], strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return raised


def seeded() -> random.Random:
    seed = int(os.environ.get("CYCLE_LOCK_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"\nCYCLE_LOCK_SEED={seed} (set it to replay this run)", flush=True)
    return random.Random(seed)


def test_the_decision_and_the_workers_handlers_never_deadlock(on_database_storage: App, tmp_path: Path) -> None:
    rng = seeded()
    app, engine = on_database_storage, on_database_storage.engine
    (tmp_path / "desk").mkdir()
    to_risk_board_papers(app, tmp_path / "desk")
    meet(app, "risk_board", "strategic_assessment")
    last = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK, votes_for=VOTERS[:3],
                         votes_against=VOTERS[3:], resolution="That the annual strategic assessment be signed off.")

    documents = Documents(engine, app.documents())
    gate = gate_event(app, "discuss_early_findings")
    prepared = documents.prepare(gate)  # rendered once: the rounds are about the write transactions
    assert prepared
    handlers = Handlers()
    handlers.on("GatePassed", "documents", documents.apply, prepare=lambda _event_id: prepared)
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "agenda", functools.partial(agenda_notice.plan, engine))
    with engine.sessions() as session:
        entered = session.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.event_type == "StageEntered"))
    assert entered is not None

    @event.listens_for(app.database, "after_cursor_execute")
    def linger(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The worker pauses between its document row and the history row anchoring it, as on a loaded
        # machine: the decision then lands in that gap in most rounds, where the deadlock was.
        if statement.startswith("INSERT INTO documents"):
            time.sleep(0.03)

    copies: list[int] = []
    for n in range(ROUNDS):
        gates, entries = copy_of(app, gate), copy_of(app, entered)
        copies += [gates, entries]
        delay = rng.random() * 0.06

        def decide(amends: int = last.decision_id, delay: float = delay, n: int = n) -> None:
            nonlocal last
            time.sleep(delay)
            last = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK, votes_for=VOTERS[:3],
                                 votes_against=VOTERS[3:], amends=amends, reason=f"round {n}: a name corrected",
                                 resolution="That the annual strategic assessment be signed off.")

        raised = side_by_side(decide, functools.partial(handlers.handle, engine, gates),
                              functools.partial(handlers.handle, engine, entries))
        assert raised == [], f"round {n}: {raised}"

    with engine.sessions() as session:
        # MK Together's decision, the Risk Board's and one amendment a round
        assert session.scalar(select(func.count()).select_from(Decision)) == 2 + ROUNDS
        handled = session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(copies))).all()
        assert [(e.handled_at is not None, e.failures) for e in handled] == [(True, 0)] * len(copies)
        assert session.scalar(select(func.count()).select_from(Document)) == ROUNDS
        assert verify_history(engine, session).broken == []


def test_a_meeting_moved_while_its_stage_is_planned_never_deadlocks(on_database_storage: App, tmp_path: Path) -> None:
    """Each round a cycle of its own enters the stage due at the Risk Board's August meeting; the committee manager
    moves the meeting a week while the planners make the stage's deadlines from its StageEntered event."""
    rng = seeded()
    app, engine = on_database_storage, on_database_storage.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))

    @event.listens_for(app.database, "after_cursor_execute")
    def linger(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The command pauses after writing the stage's deadlines, before its history row, as on a loaded machine.
        if statement.startswith("INSERT INTO deadlines") and threading.current_thread().name == "officer":
            time.sleep(0.05)

    for n in range(MOVES):
        year = 2021 + n
        cycle = f"community_safety_strategy-{year}"
        engine.clock.set(at_local(dt.date(year, 7, 1), 9))  # type: ignore[attr-defined]
        engine.start(SHIPPED, year, AUTHOR)
        engine.attach(cycle, "early_findings", paper_file(tmp_path, f"ef{year}"), AUTHOR)
        meet(app, "mk_together", "early_findings", cycle)
        engine.decide(cycle, "mk_together", "early_findings", CLERK,
                      votes_for=["director_policy", "police_area_commander", "ccg_chief_operating_officer"])
        engine.fire(cycle, "discuss_early_findings", AUTHOR)  # into the stage signed off on 19 August
        with engine.sessions() as session:
            entered = session.scalar(select(func.max(OutboxEvent.id)).join(Cycle, Cycle.id == OutboxEvent.cycle_id)
                                     .where(Cycle.key == cycle, OutboxEvent.event_type == "StageEntered"))
        assert entered is not None
        delay = rng.random() * 0.06

        def move(cycle: str = cycle, year: int = year) -> None:
            change_meeting(engine, cycle, "risk_board_august", CLERK, reason="The chair is at a national conference",
                           day=dt.date(year, 8, 26))

        def plan(entered: int = entered, delay: float = delay) -> None:
            time.sleep(delay)
            handlers.handle(engine, entered)

        raised = side_by_side(move, plan, names=("officer", "worker"))
        assert raised == [], f"round {n}: {raised}"
        assert engine.status(cycle).due == f"{year}-08-26"
        with engine.sessions() as session:
            event_row = session.get(OutboxEvent, entered)
            assert event_row is not None and event_row.handled_at is not None and event_row.failures == 0
            due = session.scalars(select(Deadline.due_at).join(Cycle, Cycle.id == Deadline.cycle_id).where(
                Cycle.key == cycle, Deadline.kind == "stage_overdue", Deadline.status == "pending")).all()
        assert [at.astimezone(LOCAL).date() for at in due] == [add_working_days(dt.date(year, 8, 26), 1)], \
            "the stage falls overdue the working day after the meeting as moved, once"
