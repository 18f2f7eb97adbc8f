"""Small helpers the engine tests share: counting rows, preparing gates."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from workflow.app import App
from workflow.commands.decision_rules import scheduled_meeting
from workflow.definition.calendar import Timeline
from workflow.engine import Engine
from workflow.store.models import Cycle, Decision, HistoryEntry, OutboxEvent, Paper
from workflow.time.clock import at_local

AUTHOR = "head_of_partnerships"
CLERK = "committee_manager"
LEAD = "community_safety_manager"
CYCLE = "community_safety_strategy-2021"


def counts(app: App) -> dict[str, int]:
    """How many rows each written table holds: a refused command must change none."""
    with app.engine.sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Cycle, HistoryEntry, OutboxEvent, Decision, Paper)
        }


def cycle_version(app: App, key: str = CYCLE) -> int:
    with app.engine.sessions() as session:
        return session.scalars(select(Cycle.version).where(Cycle.key == key)).one()


def paper_file(tmp_path: Path, name: str, text: str = "A paper for the board.\n") -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def meet(app: App | Engine, board: str, item: str, cycle: str = CYCLE) -> None:
    """Move the simulated clock (never back) to the day the board is to meet on the item, as the player
    does: a decision is recorded only for a meeting that has been held."""
    engine = app.engine if isinstance(app, App) else app
    definition = engine.catalog.load("community_safety_strategy")
    status = engine.status(cycle)
    day = scheduled_meeting(definition, Timeline(definition, int(cycle.rsplit("-", 1)[1])), board, item,
                            status.stage)
    clock = engine.clock
    if day is not None and at_local(day, 10) > clock.now():
        clock.set(at_local(day, 10))  # type: ignore[attr-defined]


def carry(app: App, board: str, item: str, cycle: str = CYCLE) -> None:
    """Record a decision carried by every voting member of the board, on the day it meets."""
    definition = app.engine.catalog.load("community_safety_strategy")
    meet(app, board, item, cycle)
    app.engine.decide(cycle, board, item, CLERK, votes_for=list(definition.boards[board].voting),
                      resolution=f"That the {item.replace('_', ' ')} be agreed.")
