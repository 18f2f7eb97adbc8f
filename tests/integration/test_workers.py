"""Cycles advanced by real Celery worker processes, on the real PostgreSQL and Redis of this machine."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select, text

from tasks.app import create_app
from tests.conftest import REPO, SHIPPED, make_settings
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from tests.integration.workers import RedisServer, Worker, wait_until, worker_env
from workflow.app import App, build
from workflow.commands.sweep import Sweeper
from workflow.player import Player
from workflow.settings import Settings
from workflow.store.models import Deadline, Effect, HistoryEntry, OutboxEvent
from workflow.store.outbox import Handlers, relay
from workflow.time.clock import at_local, local_date
from workflow.time.deadlines import plan_stage


def unhandled(app: App) -> int:
    with app.engine.sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None))) or 0


def stage_entries(app: App) -> list[int]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "StageEntered")
                                    .order_by(OutboxEvent.id)))


def handled_in_logs(*workers: Worker) -> Counter[int]:
    """How many times a worker ran the deadlines handler for each event, from their logs."""
    found: Counter[int] = Counter()
    for worker in workers:
        found.update(int(m) for m in re.findall(r"event (\d+) \(StageEntered\): deadlines done", worker.output()))
    return found


def test_a_whole_cycle_driven_by_officers_and_the_workers_sweep(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path
) -> None:
    worker = Worker(worker_env(pg_url, machine_redis, tmp_path), tmp_path / "worker.log")
    try:
        engine = shared.engine
        engine.start(SHIPPED, 2021, AUTHOR)

        def await_scheduler(done: Any, what: str) -> None:
            wait_until(done, f"the workers to {what}", 60, check=worker.check)

        Player(engine, engine.clock, engine.catalog.load(SHIPPED), CYCLE, 2021,  # type: ignore[arg-type]
               await_scheduler=await_scheduler).play()
        wait_until(lambda: unhandled(shared) == 0, "every event to be handled", 60, check=worker.check)
    finally:
        worker.stop()
    status = engine.status(CYCLE)
    assert (status.stage, status.status) == ("adopted", "complete")
    history = engine.history(CYCLE)
    by_system = [(h["trigger"], h["strand"], h["to"]) for h in history
                 if h["actor"] == "system" and h["action"] != "document"]
    assert by_system == [("close", "online_survey", "closed"), ("close_consultation", None, "final_draft_sign_off")]
    closing = next(h for h in history if h["trigger"] == "close_consultation")
    # 'at: January' is Monday 31 January 2022 in England, the day `cycle show` gives: closed on it, not after.
    assert local_date(dt.datetime.fromisoformat(closing["at"])) == dt.date(2022, 1, 31)
    survey = next(h for h in history if h["trigger"] == "close" and h["strand"] == "online_survey")
    assert local_date(dt.datetime.fromisoformat(survey["at"])) == dt.date(2022, 1, 3)
    stages = [h["to"] for h in history if h["action"] == "fire" and not h["strand"]]
    assert stages == ["assessment_sign_off", "assessment_presented", "priorities", "consultation",
                      "final_draft_sign_off", "final_draft_agreed", "adoption", "adopted"]
    entries = stage_entries(shared)
    with shared.engine.sessions() as session:
        effects = set(session.scalars(select(Effect.key)))
        pending = session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == "pending"))
    assert {f"deadlines:{e}" for e in entries} <= effects
    assert pending == 0, "a finished cycle leaves no deadline waiting"
    assert set(handled_in_logs(worker).values()) == {1}


def test_a_worker_killed_inside_a_handler_does_its_work_once_after_a_restart(
    shared: App, pg_url: str, machine_redis: str, tmp_path: Path
) -> None:
    env = worker_env(pg_url, machine_redis, tmp_path)
    blocker = shared.database.connect()
    transaction = blocker.begin()
    # Writes to deadlines wait behind this lock: the handler gets in, claims its effect, and blocks.
    blocker.execute(text("LOCK TABLE deadlines IN SHARE MODE"))
    first = Worker(env, tmp_path / "first.log", name="first")
    try:
        shared.engine.start(SHIPPED, 2021, AUTHOR)
        entry = stage_entries(shared)[0]

        def handler_blocked() -> bool:
            # Statistics are a snapshot per transaction: refresh it, since the blocker's stays open.
            blocker.execute(text("SELECT pg_stat_clear_snapshot()"))
            return bool(blocker.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO deadlines%'")).scalar())

        wait_until(handler_blocked, "the handler to block inside its transaction", 60, check=first.check)
        first.kill()
    finally:
        transaction.rollback()
        blocker.close()
        first.kill()
    with shared.engine.sessions() as session:
        assert session.get(Effect, f"deadlines:{entry}") is None, "the killed handler's work was rolled back"
    second = Worker(env, tmp_path / "second.log", name="second")
    try:
        wait_until(lambda: unhandled(shared) == 0, "the event to come back and be handled", 60, check=second.check)
    finally:
        second.stop()
    with shared.engine.sessions() as session:
        deadlines = session.scalars(select(Deadline).where(Deadline.entry == entry)).all()
        effects = session.scalars(select(Effect.key).where(Effect.event_id == entry)).all()
    # The committee manager's warning if the meeting's agenda is not issued in time, four reminders (papers due,
    # at once since its date had passed; 3 working days before, on the day, first overdue) and the overdue mark.
    assert sorted((d.kind, d.data.get("kind", "")) for d in deadlines) == [
        ("agenda_notice", ""), ("reminder", "before"), ("reminder", "before"), ("reminder", "due"),
        ("reminder", "overdue"), ("stage_overdue", "")]
    assert sorted(effects) == [f"agenda:{entry}", f"deadlines:{entry}", f"papers:{entry}", f"reminders:{entry}"]
    assert handled_in_logs(first, second)[entry] == 1


def test_redis_stopped_and_started_loses_no_event_and_doubles_none(
    shared: App, pg_url: str, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    env = worker_env(pg_url, server.url, tmp_path)
    worker = Worker(env, tmp_path / "worker.log")
    engine = shared.engine
    try:
        engine.start(SHIPPED, 2021, AUTHOR)
        wait_until(lambda: unhandled(shared) == 0, "the first events", 60, check=worker.check)

        # 1. Events committed while Redis is down stay in the outbox until it is back.
        server.stop()
        engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
        carry(shared, "mk_together", "early_findings")
        engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
        assert unhandled(shared) == 4  # PaperAttached, DecisionRecorded, GatePassed, StageEntered
        server.start()
        wait_until(lambda: unhandled(shared) == 0, "the events held back while Redis was down", 90,
                   check=worker.check)
    finally:
        worker.stop()

    # 2. Events already handed to Redis when it stops (it keeps nothing on disk) are sent again.
    engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa"), AUTHOR)
    carry(shared, "risk_board", "strategic_assessment")
    engine.fire(CYCLE, "sign_off_assessment", AUTHOR)
    redis.Redis.from_url(server.url).delete(env["CYCLE_QUEUE"])  # timer ticks the stopped worker left behind
    with create_app(Settings.from_env(env)) as publisher:
        published = relay(engine, lambda event_id, _type: publisher.send_task("cycle.handle_event", args=[event_id],
                                                                              queue=env["CYCLE_QUEUE"]))
    assert published == 4
    assert redis.Redis.from_url(server.url).llen(env["CYCLE_QUEUE"]) == published
    server.stop()
    server.start()
    assert redis.Redis.from_url(server.url).llen(env["CYCLE_QUEUE"]) == 0, "Redis forgot the queued events"
    again = Worker(env, tmp_path / "again.log", name="again")
    try:
        wait_until(lambda: unhandled(shared) == 0, "the forgotten events to be sent again", 90, check=again.check)
    finally:
        again.stop()
        server.stop()
    entries = stage_entries(shared)
    assert len(entries) == 3
    counted = handled_in_logs(worker, again)
    assert [counted[e] for e in entries] == [1, 1, 1]
    with engine.sessions() as session:
        planned = Counter(session.scalars(select(Deadline.entry).where(Deadline.kind == "stage_overdue")))
        effects = Counter(session.scalars(select(Effect.event_id)))
    assert [planned[e] for e in entries] == [1, 1, 1], "each stage's deadlines exist once"
    assert [effects[e] for e in entries] == [4, 4, 4], \
        "deadlines, reminders and the agenda's warning planned, and earlier boards' papers sent on, once per stage"
    with engine.sessions() as session:
        attempts = session.scalars(select(OutboxEvent.attempts).where(OutboxEvent.id > entries[1])).all()
    assert max(attempts) >= 2, "the lost events were published a second time"


def test_two_sweeps_at_once_act_on_each_deadline_once(pg_app: App, pg_url: str, tmp_path: Path) -> None:
    settings = dataclasses.replace(make_settings(tmp_path, pg_url), definitions_dir=REPO / "tests" / "data")
    app = build(settings, clock=pg_app.engine.clock)
    engine = app.engine
    years = range(2030, 2070)
    try:
        for year in years:
            engine.start("timed", year, "officer_a")
        handlers = Handlers()
        handlers.on("StageEntered", "deadlines", lambda s, e, now: plan_stage(engine, s, e, now))
        for event_id in stage_entries(app):
            handlers.handle(engine, event_id)
        engine.clock.set(at_local(dt.date(2071, 1, 1)))  # type: ignore[attr-defined]
        barrier = threading.Barrier(2)
        reports: list[Any] = []

        def sweep() -> None:
            barrier.wait(timeout=10)
            reports.append(Sweeper(engine).sweep())

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        with engine.sessions() as session:
            closes = session.scalars(select(HistoryEntry.cycle_id).where(HistoryEntry.actor == "system",
                                                                         HistoryEntry.trigger == "close")).all()
            statuses = Counter(session.scalars(select(Deadline.status)))
        assert sorted(Counter(closes).values()) == [1] * len(years), "every cycle closed exactly once"
        assert statuses["pending"] == 0
        assert sum(r.done + r.skipped for r in reports) + statuses["cancelled"] == 2 * len(years)
        assert all(r.done for r in reports), "both sweeps took a share of the work"
        assert {c["status"] for c in engine.list_cycles()} == {"complete"}
    finally:
        app.close()


def test_a_second_scheduler_stands_by_until_the_first_stops(pg_app: App, pg_url: str, tmp_path: Path) -> None:
    from tasks.leader import SchedulerLock

    settings = make_settings(tmp_path, pg_url)
    first, second = SchedulerLock(settings), SchedulerLock(settings)
    try:
        assert first.try_acquire()
        assert not second.try_acquire(), "while one scheduler runs, another must not send the timers too"
        first.release()
        assert second.try_acquire(), "the standby takes over once the first has gone"
    finally:
        first.release()
        second.release()
    embedded = make_settings(tmp_path / "embedded")
    one, two = SchedulerLock(embedded), SchedulerLock(embedded)
    try:
        assert one.try_acquire() and not two.try_acquire()
    finally:
        one.release()
        two.release()
