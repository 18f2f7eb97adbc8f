"""How the installation is doing, from the database: what waits, what failed, who is alive.

One set of queries feeds `cycle health` (a table, `--json`, and an exit code for a
monitoring check) and the Prometheus gauges the workers, the scheduler and the web
service expose (`tasks.metrics`). Workers and the scheduler write a heartbeat row
every few seconds, so any machine that reaches the database sees them.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.store.models import Deadline, Heartbeat, Mail, OutboxEvent, WorkerRestart
from workflow.store.outbox import wall_clock
from workflow.store.unit import Store

MAIL_STATUSES = ("pending", "sending", "sent", "retrying", "failed", "uncertain")


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """When `cycle health` calls something stuck (seconds). The defaults suit the default intervals."""

    heartbeat: float = 60.0  # a worker or scheduler silent for longer is taken for stopped
    outbox_lag: float = 600.0  # an event waiting longer than this (twice the redelivery time)
    overdue: float = 600.0  # a deadline due longer ago than this and not yet swept
    sending: float = 60.0  # an email 'sending' longer than this (a hand-over takes seconds): named at once
    restarts: float = 600.0  # a consumer restarted by `cycle worker` within this long is reported


@dataclass(frozen=True)
class Beat:
    name: str
    role: str
    host: str
    pid: int
    beat_at: dt.datetime
    age: float


@dataclass(frozen=True)
class Sending:
    id: int
    recipient: str
    phase: str | None
    age: float


@dataclass(frozen=True)
class Restart:
    name: str
    host: str
    exit_code: int
    age: float


@dataclass
class Health:
    now: dt.datetime  # the engine's clock: what deadlines and events are measured against
    outbox_waiting: int
    outbox_oldest_age: float  # seconds; 0 when nothing waits
    outbox_failed: int
    deadlines_due: int
    deadlines_overdue: int
    deadlines_failed: int
    mail: dict[str, int]
    beats: list[Beat]
    sending: list[Sending] = field(default_factory=list)  # mail 'sending' past the threshold
    restarts: list[Restart] = field(default_factory=list)  # consumers restarted within the window
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(engine: Store, thresholds: Thresholds | None = None) -> Health:
    """Read the figures and say what, by the thresholds, is stuck (`problems`, empty when all is well)."""
    limits = thresholds or Thresholds()
    now = engine.clock.now()
    wall = wall_clock()
    waiting_filter = (OutboxEvent.handled_at.is_(None), OutboxEvent.failed_at.is_(None))
    with engine.sessions() as session:
        waiting, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at))
                                          .where(*waiting_filter)).one()
        outbox_failed = session.scalar(select(func.count()).select_from(OutboxEvent)
                                       .where(OutboxEvent.handled_at.is_(None), OutboxEvent.failed_at.is_not(None)))
        pending = (Deadline.status == "pending",)
        due = session.scalar(select(func.count()).select_from(Deadline).where(*pending, Deadline.due_at <= now))
        overdue = session.scalar(select(func.count()).select_from(Deadline).where(
            *pending, Deadline.due_at <= now - dt.timedelta(seconds=limits.overdue)))
        deadlines_failed = session.scalar(select(func.count()).select_from(Deadline)
                                          .where(Deadline.status == "failed"))
        mail = dict.fromkeys(MAIL_STATUSES, 0)
        for status, count in session.execute(select(Mail.status, func.count()).group_by(Mail.status)):
            mail[status] = int(count)
        beats = [Beat(b.name, b.role, b.host, b.pid, b.beat_at, max((wall - b.beat_at).total_seconds(), 0.0))
                 for b in session.scalars(select(Heartbeat).order_by(Heartbeat.role, Heartbeat.name))]
        sending = [Sending(m.id, m.recipient, m.phase, (wall - (m.claimed_at or wall)).total_seconds())
                   for m in session.scalars(select(Mail).where(
                       Mail.status == "sending", Mail.claimed_at < wall - dt.timedelta(seconds=limits.sending))
                       .order_by(Mail.id))]
        restarts = [Restart(r.name, r.host, r.exit_code, (wall - r.restarted_at).total_seconds())
                    for r in session.scalars(select(WorkerRestart).where(
                        WorkerRestart.restarted_at >= wall - dt.timedelta(seconds=limits.restarts))
                        .order_by(WorkerRestart.restarted_at))]
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    health = Health(now=now, outbox_waiting=int(waiting or 0),
                    outbox_oldest_age=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
                    outbox_failed=int(outbox_failed or 0), deadlines_due=int(due or 0),
                    deadlines_overdue=int(overdue or 0), deadlines_failed=int(deadlines_failed or 0),
                    mail=mail, beats=beats, sending=sending, restarts=restarts)
    health.problems = _problems(health, limits)
    return health


def _problems(health: Health, limits: Thresholds) -> list[str]:
    problems = []
    for role in ("worker", "scheduler"):
        alive = [b for b in health.beats if b.role == role and b.age <= limits.heartbeat]
        if not alive:
            problems.append(f"no {role} has sent a heartbeat in the last {limits.heartbeat:.0f} s")
    # A process that died recently while others carry on; after a day its row is history, not news.
    silent = [b.name for b in health.beats if limits.heartbeat < b.age <= 86400]
    if silent and len(silent) < len(health.beats):
        problems.append(f"silent for over {limits.heartbeat:.0f} s: {', '.join(silent)}")
    if health.outbox_oldest_age > limits.outbox_lag:
        problems.append(f"an event has waited {health.outbox_oldest_age:.0f} s to be handled")
    if health.deadlines_overdue:
        problems.append(f"{health.deadlines_overdue} deadlines were due over {limits.overdue:.0f} s ago and not swept")
    failed = {"deadlines": health.deadlines_failed, "events": health.outbox_failed, "mail": health.mail["failed"]}
    for what, count in failed.items():
        if count:
            problems.append(f"{count} {what} failed and wait for an officer ('cycle {what} list --status failed')")
    for item in health.sending:
        where = "while handing it over (DATA sent, no answer recorded)" if item.phase == "data" else \
            "before handing it over"
        problems.append(f"mail {item.id} to {item.recipient} has been sending for {item.age:.0f} s, stopped "
                        f"{where}; it is settled after the lease ('cycle mail show {item.id}')")
    by_name: dict[str, list[Restart]] = {}
    for restart in health.restarts:
        by_name.setdefault(restart.name, []).append(restart)
    for name, items in by_name.items():
        last = items[-1]
        how = f"killed by signal {-last.exit_code}" if last.exit_code < 0 else f"exit status {last.exit_code}"
        problems.append(f"{name} on {last.host}: its consumer died and was restarted {len(items)} time(s) in the "
                        f"last {limits.restarts:.0f} s, last {last.age:.0f} s ago ({how}); see its log")
    if health.mail["uncertain"]:
        problems.append(f"{health.mail['uncertain']} mail may or may not have gone ('cycle mail list --status uncertain')")
    return problems


UPSERT = {True: postgresql.insert(Heartbeat), False: sqlite.insert(Heartbeat)}  # by `Store.on_postgresql`


def beat(engine: Store, name: str, role: str, started_at: dt.datetime) -> None:
    """Record that `name` is alive now (real time)."""
    with engine.unit_of_work() as session:
        statement: Any = UPSERT[engine.on_postgresql].values(name=name, role=role, host=socket.gethostname(),
                                                             pid=os.getpid(), started_at=started_at,
                                                             beat_at=wall_clock())
        session.execute(statement.on_conflict_do_update(
            index_elements=["name"], set_={"host": statement.excluded.host, "pid": statement.excluded.pid,
                                           "started_at": statement.excluded.started_at,
                                           "beat_at": statement.excluded.beat_at}))


def restarted(engine: Store, name: str, exit_code: int) -> None:
    """Record that `cycle worker` restarted the consumer `name`, which ended with `exit_code`."""
    with engine.unit_of_work() as session:
        session.add(WorkerRestart(name=name, host=socket.gethostname(), exit_code=exit_code,
                                  restarted_at=wall_clock()))


def forget(engine: Store, name: str) -> None:
    """A process stopping cleanly removes its heartbeat: only one that died stays behind, and shows as silent."""
    with engine.unit_of_work() as session:
        session.execute(delete(Heartbeat).where(Heartbeat.name == name))
