"""My work: what the signed-in person must do now across every running cycle, overdue first, each with its control."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.model import Definition
from workflow.reads.mywork import WorkItem, work_of
from workflow.reads.waiting import WaitingItem

from ..paging import PAGE_SIZE, Paging, page_number
from .render import render
from .viewer import Viewer, viewer
from .words import cycle_title, stage_title

router = APIRouter(include_in_schema=False)
Choice = Annotated[str, Query(max_length=20)]


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


def show(request: Request, seen: Viewer, *, errors: dict[str, str] | None = None, status: int = 200,
         page: str = "", waiting_page: str = "") -> Response:
    """The page `page` of what to do (overdue first, then the soonest due) and `waiting_page` of what the person
    waits for, `PAGE_SIZE` rows each; only the shown rows are built and rendered."""
    engine = request.app.state.cycle.engine
    work = work_of(engine, seen.email)
    cycles = work.cycles
    doing = Paging.of(page_number(page), PAGE_SIZE, len(work.to_do), "things to do")
    waits = Paging.of(page_number(waiting_page), PAGE_SIZE, len(work.waiting_for), "things you wait for")
    query = {"page": str(doing.page), "waiting_page": str(waits.page)}
    return render(request, "my_work.html", status=status, title="My work", section="/my-work",
                  rows=rows_for(cycles, doing.rows(work.to_do)), waiting=waiting_for(cycles, waits.rows(work.waiting_for)),
                  paging=doing, waiting_paging=waits, query={k: v for k, v in query.items() if v != "1"},
                  errors=errors or {})


@router.get("/my-work")
async def my_work_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], page: Choice = "",
                       waiting_page: Choice = "") -> Response:
    return await run_in_threadpool(lambda: show(request, seen, page=page, waiting_page=waiting_page))
