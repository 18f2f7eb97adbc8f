"""My work: what the signed-in person must do now across every running cycle, overdue first, each with its control."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.model import Definition
from workflow.reads.mywork import WorkItem, work_of
from workflow.reads.waiting import WaitingItem

from .render import render
from .viewer import Viewer, viewer
from .words import cycle_title, stage_title

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Row:
    """One item of work as the page shows it: the engine's item with the words around it."""

    item: WorkItem
    cycle_title: str
    stage_title: str
    board: str


def rows_for(cycles: dict[int, tuple[Definition, int]], items: list[WorkItem]) -> list[Row]:
    """The items with their words, from the definitions the read found them in (no query per cycle)."""
    rows = []
    for item in items:
        definition, year = cycles[item.cycle_id]
        board = definition.boards[item.board].name if item.board else ""
        rows.append(Row(item, cycle_title(definition, year, item.cycle), stage_title(definition, item.stage), board))
    return rows


@dataclass(frozen=True)
class Waiting:
    """One thing the person waits for, with the words around it."""

    item: WaitingItem
    cycle_title: str
    stage_title: str


def waiting_for(cycles: dict[int, tuple[Definition, int]], items: list[WaitingItem]) -> list[Waiting]:
    found = []
    for item in items:
        definition, year = cycles[item.cycle_id]
        found.append(Waiting(item, cycle_title(definition, year, item.cycle), stage_title(definition, item.stage)))
    return found


def show(request: Request, seen: Viewer, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    engine = request.app.state.cycle.engine
    work = work_of(engine, seen.email)
    cycles = work.cycles
    return render(request, "my_work.html", status=status, title="My work", section="/my-work",
                  rows=rows_for(cycles, work.to_do), waiting=waiting_for(cycles, work.waiting_for),
                  errors=errors or {})


@router.get("/my-work")
async def my_work_page(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(show, request, seen)
