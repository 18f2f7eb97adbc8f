"""`cycle demo`: a whole cycle year, start to adoption, on the embedded database.

A simulated clock carries the cycle through its months in seconds; the player
does what officers and boards would, through the same engine commands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .app import build
from .calendar import Timeline
from .catalog import Catalog
from .clock import SimulatedClock, at_local
from .player import Player, Step
from .settings import Settings


def run_demo(settings: Settings, *, year: int, definition: str, data_dir: Path | None, console: Console) -> None:
    data_dir = data_dir or settings.data_dir / "demo"
    # The demo's folder is its own: start clean so it can be run again and again.
    if data_dir.exists():
        shutil.rmtree(data_dir)
    demo_settings = dataclasses.replace(
        settings, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'cycle.db'}",
    )
    loaded = Catalog(settings.definitions_dir).load(definition)
    first = Timeline(loaded, year).dated()
    start_day = first[0][0].replace(day=1) if first else dt.date(year, loaded.starts_in, 1)
    clock = SimulatedClock(at_local(start_day, 9))
    app = build(demo_settings, clock=clock)
    try:
        engine = app.engine
        starter = next(p.id for p in loaded.people.values() if set(p.roles) & set(loaded.permissions["start"]))
        started = engine.start(definition, year, starter, comment="Demo cycle")
        console.print(f"[bold]{escape(loaded.title)}[/], cycle {started.cycle} "
                      f"(definition version {loaded.version}), on the embedded database in {data_dir}")

        def show(step: Step) -> None:
            style = {"stage": "bold green", "decision": "cyan", "paper": "dim", "strand": "magenta"}[step.kind]
            console.print(f"{step.day:%a %d %b %Y}  [{style}]{escape(step.text)}[/]")

        Player(engine, clock, loaded, started.cycle, year, on_step=show).play()
        status = engine.status(started.cycle)
        console.print(f"\n[bold]{started.cycle}[/] is {status.status}: {escape(status.stage_title)}.")
        history = engine.history(started.cycle)
        table = Table(title=f"History ({len(history)} entries)", title_justify="left")
        for col in ("when", "who", "what", "to"):
            table.add_column(col)
        for h in history:
            if (h["action"] == "fire" and not h["strand"]) or h["action"] == "start":
                table.add_row(h["at"][:10], h["actor"], h["trigger"] or h["action"], h["to"] or "")
        console.print(table)
        events = engine.outbox(started.cycle)
        console.print(f"{len(events)} domain events are in the outbox for the workers; "
                      f"database: {data_dir / 'cycle.db'}, papers: {demo_settings.papers_dir}")
    finally:
        app.close()

