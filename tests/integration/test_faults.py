"""Faults during a whole cycle: a worker SIGKILLed while busy, Redis stopped for 20 s, the SMTP server for 30 s.

All real: PostgreSQL, a Redis server of the test's own, two worker processes, the scheduler process, an
aiosmtpd server process (SIGKILLed for the outage and started again on the same port). The cycle must reach adoption, every email arrive exactly once, every document exist once,
and nothing be left waiting. The figures (expected, delivered, lost, duplicated, time to recover from each
fault) are printed for docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from notifications import reminders
from tests.conftest import SHIPPED
from tests.helpers import CYCLE
from tests.integration.smtp import SmtpProcess
from tests.integration.workers import RedisServer, Worker, free_port, wait_until, worker_env
from workflow.app import App
from workflow.player import Player, Step
from workflow.reads import health
from workflow.store.models import Deadline, Document, HistoryEntry, Mail, OutboxEvent

# A minute and a half of whole-cycle faults: with the seeded random run, in `make test-faults` (which `.ci/run` runs),
# so that `make test` stays quick.
pytestmark = pytest.mark.faults


def waiting(app: App, before: dt.datetime | None = None) -> int:
    """Events not handled, and mail not yet sent (created before `before`, real time, when given)."""
    with app.engine.sessions() as session:
        events = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.handled_at.is_(None))
        mail = select(func.count()).select_from(Mail).where(Mail.status != "sent")
        if before is not None:
            mail = mail.where(Mail.created_at <= before)
        return int(session.scalar(events) or 0) + int(session.scalar(mail) or 0)


def rendering(app: App) -> bool:
    """A GatePassed event is with a worker (its documents being made) and no email is being sent."""
    with app.engine.sessions() as session:
        gate = session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.event_type == "GatePassed", OutboxEvent.dispatched_at.is_not(None),
            OutboxEvent.handled_at.is_(None)))
        sending = session.scalar(select(func.count()).select_from(Mail).where(
            Mail.status.in_(("pending", "sending", "retrying"))))
    return bool(gate) and not sending


def what_waits(app: App) -> str:
    with app.engine.sessions() as session:
        events = session.execute(select(OutboxEvent.id, OutboxEvent.event_type, OutboxEvent.attempts,
                                        OutboxEvent.last_error).where(OutboxEvent.handled_at.is_(None))).all()
        mail = session.execute(select(Mail.status, func.count()).where(Mail.status != "sent")
                               .group_by(Mail.status)).all()
        errors = session.scalars(select(Mail.last_error).where(Mail.status == "failed").distinct().limit(3)).all()
    return f"events {events}, mail {mail}" + (f", failed mail's errors {errors}" if errors else "")


def settle(app: App, what: str, timeout: float, before: dt.datetime | None = None,
           check: Callable[[], None] = lambda: None) -> None:
    try:
        wait_until(lambda: waiting(app, before) == 0, what, timeout, check=check)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {what_waits(app)}") from None


def test_a_whole_cycle_through_a_killed_worker_a_redis_restart_and_an_smtp_outage(
    shared: App, pg_url: str, tmp_path: Path
) -> None:
    engine = shared.engine
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    smtp = SmtpProcess(tmp_path / "smtp")
    smtp.start()
    # The workers read the papers the player attaches: the same data folder.
    env = worker_env(pg_url, redis_server.url, tmp_path, CYCLE_SMTP_URL=smtp.url, CYCLE_MAIL_RETRY_BASE="1",
                     CYCLE_DATA_DIR=str(tmp_path))
    workers = [Worker(env, tmp_path / f"worker-{i}.log", beat=False, name=f"w{i}") for i in range(2)]
    metrics_port = free_port()
    scheduler = Worker(env, tmp_path / "scheduler.log",
                       argv=[sys.executable, "-m", "tasks", "scheduler", "--loglevel", "INFO",
                             "--metrics-port", str(metrics_port)])
    recovered: dict[str, float] = {}
    faults: list[threading.Thread] = []

    def check() -> None:
        for process in [*workers, scheduler]:
            if process not in killed:
                process.check()

    killed: list[Worker] = []

    def outage(name: str, stop: Callable[[], None], start: Callable[[], None], seconds: float) -> None:
        def run() -> None:
            stop()
            time.sleep(seconds)
            start()
            back = time.monotonic()
            restarted = dt.datetime.now(dt.UTC)
            settle(shared, f"work to catch up after {name}", 180, restarted)
            recovered[name] = time.monotonic() - back
        faults.append(threading.Thread(target=run, name=name))
        faults[-1].start()

    def on_step(step: Step) -> None:
        if step.kind != "stage":
            return
        stage = engine.status(CYCLE).stage
        if stage == "assessment_sign_off":  # the first sign-off record is being made now
            # Killed while rendering, not while handing an email over: that one would rightly be left
            # 'uncertain' for an officer (it may have gone), which is a different test.
            wait_until(lambda: rendering(shared), "the sign-off record to be in the making", 30)
            workers[0].kill()
            killed.append(workers[0])
            at = time.monotonic()
            workers.append(Worker(env, tmp_path / "worker-2.log", beat=False, name="w2"))
            settle(shared, "work to catch up after the kill", 120)
            recovered["a worker SIGKILLed while busy, another started"] = time.monotonic() - at
        elif stage == "consultation":
            outage("Redis stopped for 20 s", redis_server.stop, redis_server.start, 20)
        elif stage == "final_draft_sign_off":
            outage("the SMTP server process killed for 30 s", smtp.stop, smtp.start, 30)

    definition = engine.catalog.load(SHIPPED)
    planned = [row for row, _ in reminders.preview(definition, CYCLE, 2021, definition.initial, engine.clock.now(),
                                                   engine.catalog.templates_for_snapshot(definition))]
    started = time.monotonic()
    try:
        engine.start(SHIPPED, 2021, "head_of_partnerships")
        Player(engine, engine.clock, definition, CYCLE, 2021, on_step=on_step,  # type: ignore[arg-type]
               await_scheduler=lambda done, what: wait_until(done, what, 120, check=check)).play()
        for fault in faults:
            fault.join(timeout=240)
        settle(shared, "every event handled and every email sent", 180, check=check)
        figures = health.check(engine)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
            scraped = response.read().decode()
    finally:
        for process in [*workers, scheduler]:
            process.stop()
        redis_server.stop()
        smtp.stop()
    elapsed = time.monotonic() - started

    assert len(recovered) == 3, f"every fault happened during the cycle: {sorted(recovered)}"
    status = engine.status(CYCLE)
    assert (status.stage, status.status) == ("adopted", "complete")
    with engine.sessions() as session:
        rows = list(session.scalars(select(Mail)))
        documents = Counter(session.execute(select(Document.event_id, Document.spec, Document.version)).all())
        fired = [h.trigger for h in session.scalars(select(HistoryEntry).where(
            HistoryEntry.action == "fire", HistoryEntry.strand.is_(None)))]
        left = session.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.status.in_(("pending", "failed")), Deadline.due_at <= engine.clock.now()))
    promised = sum(len(t.documents) for t in definition.transitions if t.trigger in fired)
    assert set(documents.values()) == {1} and len(documents) == promised, "every promised document, once"
    assert {m.status for m in rows} == {"sent"}, "nothing left sending, retrying, uncertain or failed"
    assert left == 0 and figures.outbox_waiting == 0 and figures.outbox_failed == 0
    # Heartbeats from the real processes: the scheduler and the two live workers; the killed one is reported silent.
    alive = {b.name for b in figures.beats if b.age < 60 and not b.name.startswith("worker:w0-")}
    assert "scheduler" in alive and sum(name.startswith("worker:") for name in alive) == 2
    assert all("silent" in problem and "worker:w0-" in problem for problem in figures.problems), figures.problems
    assert "cycle_outbox_waiting 0.0" in scraped and f'cycle_mail{{status="sent"}} {len(rows)}.0' in scraped
    assert 'cycle_heartbeat_timestamp_seconds{name="scheduler",role="scheduler"}' in scraped

    arrived = Counter((r.rcpt_tos[0], r.header("Subject").strip()) for r in smtp.received)
    expected = Counter((m.recipient, m.subject) for m in rows)
    kinds = Counter(m.kind for m in rows)
    assert Counter((p.email, p.subject) for p in planned) <= expected, "every reminder the preview promised was made"
    lost = sum((expected - arrived).values())
    duplicated = sum((arrived - expected).values())
    print(f"\nfaults test: {elapsed:.0f} s; emails expected {sum(expected.values())} ({kinds['reminder']} reminders, "
          f"{kinds['document']} documents), delivered {len(smtp.received)}, lost {lost}, duplicated {duplicated}; "
          f"documents {len(documents)} of {promised}; recovery: "
          + "; ".join(f"{name}: {seconds:.1f} s" for name, seconds in recovered.items()))
    assert lost == 0 and duplicated == 0
    assert len({r.header("Message-ID") for r in smtp.received}) == len(smtp.received) == len(rows)

