"""`cycle demo`: a whole cycle year run by real worker processes, on the embedded default.

The demo starts worker processes (one of them also the scheduler), then plays
the officers and boards on the definition's timetable through the engine. The
clock is the shared simulated one, so the workers see the same "now": when the
player moves it past the survey's closing date or the consultation's end, it
is the workers' sweep that closes them, and the player waits to see it happen.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from tasks.demo_clerk import Clerk
from workflow.app import build
from workflow.definition.calendar import Timeline
from workflow.definition.formatting import month_year, short_date_time, table_date
from workflow.errors import InvalidInput
from workflow.player import Player, Step
from workflow.settings import Settings
from workflow.store.catalog import Catalog
from workflow.store.db import mark_rehearsal
from workflow.store.models import Deadline, Document, HistoryEntry, Mail, OutboxEvent
from workflow.time.clock import at_local

DEMO_MARK = ".strategy-cycle-demo"
"""The file that marks a folder as the demo's own, which a later run may empty."""


class Workers:
    """Worker processes started for the demo, stopped when it ends."""

    def __init__(self, settings: Settings, env: dict[str, str], count: int) -> None:
        self.logs = [settings.data_dir / f"worker-{i + 1}.log" for i in range(count)]
        self.processes: list[subprocess.Popen[bytes]] = []
        for i, log in enumerate(self.logs):
            argv = [sys.executable, "-m", "tasks", "worker", "--pool", "solo", "--loglevel", "INFO",
                    "--hostname", f"demo{i + 1}@%h", "--beat" if i == 0 else "--no-beat"]
            with log.open("wb") as handle:
                self.processes.append(subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                                       start_new_session=True))

    def check(self) -> None:
        for process, log in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"a worker stopped (exit {process.returncode}); see {log}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run_demo(settings: Settings, *, year: int, definition: str, data_dir: Path | None, workers: int,
             console: Console) -> None:
    data_dir = data_dir or settings.data_dir / "demo"
    if data_dir.exists():
        if any(data_dir.iterdir()) and not (data_dir / DEMO_MARK).is_file():
            raise InvalidInput(f"{data_dir} is not empty and is not an earlier demo's folder; the demo starts "
                               "afresh in a folder of its own, so give a new or empty one with --data-dir")
        shutil.rmtree(data_dir)  # an earlier demo's folder: start clean every run
    data_dir.mkdir(parents=True)
    (data_dir / DEMO_MARK).write_text("This folder belongs to 'cycle demo', which empties it on every run.\n")
    demo = dataclasses.replace(settings, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'cycle.db'}",
                               shared_clock=True, broker_url="", relay_interval=0.1, sweep_interval=0.1,
                               redeliver_after=30.0)
    env = {**os.environ, "CYCLE_DATA_DIR": str(data_dir), "CYCLE_DATABASE_URL": demo.database_url,
           "CYCLE_CLOCK": "shared", "CYCLE_BROKER_URL": "", "CYCLE_RELAY_INTERVAL": "0.1",
           "CYCLE_SWEEP_INTERVAL": "0.1", "CYCLE_SMTP_URL": "", "CYCLE_REDELIVER_AFTER": "30",
           "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir)}
    env.pop("CYCLE_NOW", None)
    loaded = Catalog(settings.definitions_dir).load(definition)
    timeline = Timeline(loaded, year)
    app = build(demo)
    mark_rehearsal(app.database)  # every history row and decision of the demo says it was a rehearsal
    clock = app.engine.clock
    dated = timeline.dated()
    clock.set(at_local(dated[0][0].replace(day=1), 9))  # type: ignore[attr-defined]
    started_at = time.monotonic()
    pool = Workers(demo, env, workers)
    try:
        engine = app.engine
        starter = next(p.id for p in loaded.people.values() if set(p.roles) & set(loaded.permissions["start"]))
        # The operator may name the definition by path or id; the engine takes a text as an id only.
        started = engine.start(engine.catalog.resolve_file(definition), year, starter, comment="Demo cycle")
        console.print(f"[bold]{escape(loaded.title)}[/], cycle {started.cycle}: {workers} worker processes, "
                      f"embedded database and broker in {data_dir}")
        clerk = Clerk(engine, loaded)
        path = _stages_on_the_way(loaded, loaded.initial)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            bar = progress.add_task("starting", total=len(path))

            mail_seen = [0]

            def show(step: Step) -> None:
                style = {"stage": "bold green", "decision": "cyan", "paper": "dim", "strand": "magenta",
                         "scheduler": "yellow"}[step.kind]
                for subject, count in _new_mail(app, mail_seen):
                    progress.console.print(f"{'':17}[blue]reminder to {count}: {escape(subject)}[/]")
                progress.console.print(f"{table_date(step.day)}  [{style}]{escape(step.text)}[/]")
                if step.kind == "stage":
                    progress.advance(bar)
                progress.update(bar, description=f"{month_year(step.day)}: {escape(engine.status(started.cycle).stage_title)}")

            def await_scheduler(done: Callable[[], bool], what: str) -> None:
                progress.update(bar, description=f"workers: {escape(what)}")
                _wait(done, f"the workers to do {what}", pool)

            Player(engine, clock, loaded, started.cycle, year, on_step=show,  # type: ignore[arg-type]
                   await_scheduler=await_scheduler, rehearsal=_rehearsal(settings, definition),
                   before_meeting=clerk.before_meeting, after_meeting=clerk.after_meeting).play()
            progress.update(bar, description="waiting for the workers to handle every event")
            _wait(lambda: _unhandled(app) == 0, "the workers to handle every event", pool)
            progress.update(bar, description="waiting for the workers to send every email")
            _wait(lambda: _unsent(app) == 0, "the workers to send every email", pool, timeout=120)
        _summary(console, app, started.cycle, data_dir, pool, time.monotonic() - started_at)
        _meetings(console, clerk, data_dir)
    finally:
        pool.stop()
        app.close()


def _meetings(console: Console, clerk: Clerk, data_dir: Path) -> None:
    """Where to find each meeting's agenda pack, its minutes and the public pages."""
    env = f"CYCLE_DATA_DIR={data_dir}"
    console.print(f"\n[bold]Board meetings[/]: {len(clerk.issued)} agendas issued by their notice deadline, "
                  f"{len(clerk.drafted)} minutes drafted from the decisions, {len(clerk.approved)} approved at the "
                  "board's next meeting.")
    table = Table(title_justify="left")
    for col in ("board", "meeting", "agenda", "minutes"):
        table.add_column(col)
    approved, drafted = set(clerk.approved), set(clerk.drafted)
    for board, day in sorted(set(clerk.issued) | drafted, key=lambda m: (m[1], m[0])):
        table.add_row(board, day.isoformat(), "issued" if (board, day) in clerk.issued else "",
                      "approved" if (board, day) in approved else "draft" if (board, day) in drafted else "")
    console.print(table)
    if clerk.issued:
        board, day = clerk.issued[-1]
        manager = clerk.definition.people[clerk.manager(board)].email
        console.print(f"A pack as the members were sent it: {env} cycle agenda pack {board} {day.isoformat()} "
                      f"--out pack.pdf --as {manager} (add --private for the private part); the packs are also "
                      f"in {data_dir / 'documents'} and attached to the emails.")
        console.print(f"Minutes: {env} cycle minutes show {board} {day.isoformat()} --as {manager}")
    console.print(f"Public pages, as a resident sees them: {env} cycle web, then http://127.0.0.1:8000/public")


def _rehearsal(settings: Settings, definition: str) -> dict[str, Any]:
    """What the demo's boards say beyond their votes, if the definitions folder has a rehearsal file."""
    path = settings.definitions_dir / "rehearsals" / f"{definition}.yaml"
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _new_mail(app, seen: list[int]) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Reminders queued since the last look, grouped by subject."""
    with app.engine.sessions() as session:
        rows = session.execute(select(Mail.id, Mail.subject).where(Mail.id > seen[0]).order_by(Mail.id)).all()
    if rows:
        seen[0] = rows[-1][0]
    counts: dict[str, int] = {}
    for _, subject in rows:
        counts[subject] = counts.get(subject, 0) + 1
    return list(counts.items())


def _stages_on_the_way(definition, start: str) -> list[str]:  # type: ignore[no-untyped-def]
    order = list(definition.stages)
    stage, path = start, []
    while not definition.stages[stage].final:
        stage = max((t.dest for t in definition.transitions_from(stage)), key=order.index)
        path.append(stage)
    return path


def _wait(done: Callable[[], bool], what: str, pool: Workers, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        pool.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {timeout:.0f} s; see {pool.logs[0]}")
        time.sleep(0.1)


def _unhandled(app) -> int:  # type: ignore[no-untyped-def]
    with app.engine.sessions() as session:
        # A failed event waits for an officer ('cycle events list --status failed'), not for the demo.
        return int(session.scalar(select(func.count()).select_from(OutboxEvent)
                                  .where(OutboxEvent.handled_at.is_(None), OutboxEvent.failed_at.is_(None))) or 0)


def _unsent(app) -> int:  # type: ignore[no-untyped-def]
    with app.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Mail)
                                  .where(Mail.status.in_(("pending", "sending", "retrying")))) or 0)


def _summary(console: Console, app, cycle: str, data_dir: Path, pool: Workers, seconds: float) -> None:  # type: ignore[no-untyped-def]
    engine = app.engine
    status = engine.status(cycle)
    with engine.sessions() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEvent))
        deadlines = dict(session.execute(select(Deadline.status, func.count()).group_by(Deadline.status)).all())
        mail = dict(session.execute(select(Mail.status, func.count()).group_by(Mail.status)).all())
        made = session.scalars(select(Document).order_by(Document.id)).all()
        by_system = session.scalars(select(HistoryEntry).where(HistoryEntry.actor == "system",
                                                                HistoryEntry.action != "document")
                                    .order_by(HistoryEntry.id)).all()
    console.print(f"\n[bold]{cycle}[/] is {status.status}: {escape(status.stage_title)} "
                  f"({seconds:.1f} s of real time for the whole cycle year).")
    table = Table(title="What the workers did", title_justify="left")
    for col in ("when", "what", "stage or strand"):
        table.add_column(col)
    for h in by_system:
        what = {"overdue": "marked overdue", "fire": h.trigger or ""}.get(h.action, h.action)
        table.add_row(short_date_time(h.at), what, h.strand or h.from_state or "")
    console.print(table)
    console.print(f"{events} events handled through the outbox; deadlines: "
                  + ", ".join(f"{n} {s}" for s, n in sorted(deadlines.items()))
                  + "; emails: " + (", ".join(f"{n} {s}" for s, n in sorted(mail.items())) or "none"))
    if made:
        console.print(f"{len(made)} sign-off documents (HTML, PDF and Word each), the last: "
                      f"{escape(made[-1].title)}; list them with "
                      f"'CYCLE_DATA_DIR={data_dir} cycle documents list {cycle}'.")
    console.print(f"Emails (.eml): {data_dir / 'outbox'}. Documents: {data_dir / 'documents'}. Database {data_dir / 'cycle.db'}, "
                  f"papers {data_dir / 'papers'}, worker logs {', '.join(str(p) for p in pool.logs)}.")
    console.print(f"See the history with: CYCLE_DATA_DIR={data_dir} cycle history {cycle}")
