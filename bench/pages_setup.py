"""The running cycles bench/pages.py reads: copies of the shipped definition, a hundred years each, spread over
the stages, with their papers, decisions and mail, and the person who signs in to read them.

Cycle keys are '<definition>-<year>' and the engine plans years 2000 to 2100, so a thousand running
cycles are ten copies of the shipped definition (ids `community_safety_strategy` and `..._1` to `..._9`)
of a hundred years each. Cycle n of a copy has taken the first n mod (steps - 1) steps of the path to
adoption, so every stage but the final one holds some; its papers and decisions are in place before it
starts moving (as in bench/transitions_shipped.py), several copies at once in processes of their own, and three emails per cycle were sent, one in fifty failed.
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update

from bench.harness import DEFINITIONS
from bench.transitions_shipped import SHIPPED, Step, person_with, plan
from workflow.app import App, build
from workflow.definition.model import Definition
from workflow.settings import Settings
from workflow.store.models import Mail, OutboxEvent
from workflow.time.clock import local_date

FIRST_YEAR = 2000
YEARS = 100  # 2000 to 2099: one copy of the definition holds a hundred cycles


def copy_id(copy: int) -> str:
    return SHIPPED if copy == 0 else f"{SHIPPED}_{copy}"


def write_definitions(folder: Path, copies: int) -> None:
    """`copies` copies of the shipped definition in `folder`, with its templates beside them."""
    text = (DEFINITIONS / f"{SHIPPED}.yaml").read_text()
    templates = folder / "templates"
    if not templates.exists():
        templates.symlink_to(DEFINITIONS / "templates", target_is_directory=True)
    for copy in range(copies):
        (folder / f"{copy_id(copy)}.yaml").write_text(text.replace(f"id: {SHIPPED}\n", f"id: {copy_id(copy)}\n", 1))


def seed_copy(settings: Settings, copy: int, papers_dir: Path) -> str:
    """The hundred cycles of one copy, through the engine's own commands (in a process of its own)."""
    app = build(settings)
    try:
        # `start` parses the definition file each time (the folder may have changed since); these files do not
        # change while the benchmark seeds, and parsing them is most of what starting a cycle costs.
        app.engine.catalog.load = functools.cache(app.engine.catalog.load)  # type: ignore[method-assign]
        engine = app.engine
        definition = engine.catalog.load(copy_id(copy))
        steps, papers, decisions = plan(definition)
        author = person_with(definition, definition.permissions["start"])
        attacher = person_with(definition, definition.permissions["attach"])
        recorder = person_with(definition, definition.permissions["decide"])
        files = {}
        folder = papers_dir / copy_id(copy)
        folder.mkdir(parents=True, exist_ok=True)
        for paper in papers:
            files[paper] = folder / f"{paper}.txt"
            files[paper].write_text(f"{definition.papers[paper]}\n\nPrepared for the benchmark.\n")
        today = local_date(engine.clock.now())
        for n in range(YEARS):
            key = engine.start(definition.id, FIRST_YEAR + n, author).cycle
            for paper in papers:
                engine.attach(key, paper, files[paper], attacher)
            for gate in decisions:
                board = definition.boards[gate.board]
                engine.decide(key, gate.board, gate.item, recorder, votes_for=list(board.voting), meeting_date=today)
            taken: list[Step] = steps[:n % (len(steps) - 1)]  # never the last: every cycle stays running
            for step in taken:
                engine.fire(key, step.trigger, step.actor, strand=step.strand)
        return definition.id
    finally:
        app.close()


def reader(definition: Definition) -> str:
    """The person the pages are read as: one who attaches papers and serves on the most boards (so My work,
    My boards and the exempt papers all have something to show them)."""
    attachers = set(definition.permissions["attach"]) | set(definition.permissions["decide"])

    def boards(person: str) -> int:
        return sum(1 for b in definition.boards.values() if person in dict(b.members))

    people = [p for p in definition.people.values() if set(p.roles) & attachers]
    return max(people, key=lambda p: (boards(p.id), p.id)).id


@dataclass
class Seeder:
    """Starts and moves on the cycles of each copy, `processes` copies at a time, in the order of `seed(copies)`."""

    app: App
    papers_dir: Path
    processes: int = 4
    seeded: int = 0  # copies seeded so far

    def seed(self, copies: int, progress: bool = True) -> None:
        wanted = list(range(self.seeded, copies))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.processes, len(wanted) or 1), mp_context=context) as pool:
            for done in pool.map(seed_copy, [self.app.settings] * len(wanted), wanted,
                                 [self.papers_dir] * len(wanted)):
                if progress:
                    print(f"  seeded {done}: {YEARS} cycles", flush=True)
        for copy in wanted:
            self._mail(self.app.engine.catalog.load(copy_id(copy)), copy)
        self.seeded = copies
        self._steady()

    def _mail(self, definition: Definition, copy: int) -> None:
        """Three sent emails a cycle, one in fifty cycles with a failed one: what a year of reminders leaves."""
        engine = self.app.engine
        now = engine.clock.now()
        person = next(iter(definition.people.values()))
        with engine.sessions.begin() as session:
            for n in range(YEARS):
                key = f"{definition.id}-{FIRST_YEAR + n}"
                cycle_id = engine.definition_of(key)[0].id
                for k in range(3 + (n % 50 == 0)):
                    failed = k == 3
                    session.add(Mail(
                        key=f"bench:{key}:{k}", cycle_id=cycle_id, kind="reminder", person=person.id,
                        recipient=person.email, subject=f"Reminder {k} for {key}", text_body="A reminder.",
                        html_body="<p>A reminder.</p>", attachments={}, message_id=f"<bench.{key}.{k}@example.org>",
                        dated=now, status="failed" if failed else "sent", attempts=5 if failed else 1,
                        next_attempt_at=now, sent_at=None if failed else now,
                        last_error="550 mailbox unavailable" if failed else None,
                        created_at=now - dt.timedelta(days=k)))

    def _steady(self) -> None:
        """Every domain event handled, as a running relay leaves them (the Operations page lists those it has not)."""
        now = self.app.engine.clock.now()
        with self.app.engine.sessions.begin() as session:
            session.execute(update(OutboxEvent).where(OutboxEvent.handled_at.is_(None))
                            .values(dispatched_at=now, handled_at=now))
