"""Cycles: every cycle the signed-in person takes part in, where it stands and what holds it up, with filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.engine import Engine
from workflow.reads.hold_ups import hold_ups

from ..access import KnownCycles
from ..cycle_pages import Filters, page_of_cycles
from ..paging import PAGE_SIZE, Paging, page_number
from .render import render
from .start_cycle import startable
from .viewer import Viewer, viewer
from .words import board_name, cycle_title

router = APIRouter(include_in_schema=False)
Choice = Annotated[str, Query(max_length=100)]


@dataclass(frozen=True)
class CycleRow:
    key: str
    title: str
    definition: str
    year: int
    stage_title: str
    status: str
    board: str  # the board the stage waits on, by id ("" for none)
    board_name: str
    due: dt.date | None
    working_days_left: int | None
    overdue: bool
    blocked_by: tuple[str, ...]  # the gate sentences of the stage's triggers a person fires


def rows_of(engine: Engine, cycles: KnownCycles, seen: Viewer, found: list[dict[str, Any]]) -> list[CycleRow]:
    """The page's cycles with what holds each up, in a fixed number of queries (no status read per cycle)."""
    held = hold_ups(engine, among=[row["id"] for row in found if row["status"] == "active"])
    rows = []
    for row in found:
        definition = cycles.version(row["definition"], row["version"])
        board = definition.stages[row["stage"]].board or ""
        rows.append(CycleRow(
            row["cycle"], cycle_title(definition, row["year"], row["cycle"]), row["definition"], row["year"],
            row["stage_title"], row["status"], board, board_name(definition, board), row["due"],
            row["working_days_left"], row["overdue"], held.get(row["id"], ()) if row["status"] == "active" else ()))
    return rows


def options(pairs: dict[str, str]) -> list[tuple[str, str]]:
    return [("", "Any"), *sorted(pairs.items(), key=lambda pair: pair[1])]


def show(request: Request, seen: Viewer, filters: Filters, asked: str) -> Response:
    engine = request.app.state.cycle.engine
    page = page_number(asked)
    found = page_of_cycles(engine, request.app.state.cycles, seen.email, filters,
                           lambda total: Paging.of(page, PAGE_SIZE, total))
    titles = {d.id: d.title for d in request.app.state.directory.definitions()}
    choices: dict[str, Any] = {
        "definition": options({d: titles.get(d, title) for d, title in found.definitions.items()}),
        "year": [("", "Any"), *((str(y), str(y)) for y in found.years)],
        "board": options(found.boards),
    }
    chosen = {"definition": filters.definition, "year": filters.year, "board": filters.board,
              "overdue": filters.overdue}
    query = {"definition": filters.definition, "year": filters.year, "board": filters.board,
             "overdue": "yes" if filters.overdue else ""}
    return render(request, "cycles.html", title="Cycles", section="/cycles",
                  rows=rows_of(engine, request.app.state.cycles, seen, found.rows), every=found.every,
                  paging=found.paging, query=query, may_start=bool(startable(request, seen)),
                  registers=sorted((title, ident) for ident, title in titles.items() if ident in seen.people),
                  choices=choices, chosen=chosen)


@router.get("/cycles")
async def cycles_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], definition: Choice = "",
                      year: Choice = "", board: Choice = "", overdue: Choice = "", page: Choice = "") -> Response:
    return await run_in_threadpool(show, request, seen, Filters(definition, year, board, bool(overdue)), page)
