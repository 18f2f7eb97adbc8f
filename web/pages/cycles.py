"""Cycles: every cycle the signed-in person takes part in, where it stands and what holds it up, with filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.directory import find_person
from workflow.engine import Engine
from workflow.reads.hold_ups import hold_ups

from ..access import KnownCycles
from ..taking_part import cycles_taking_part
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


def rows_of(engine: Engine, cycles: KnownCycles, seen: Viewer) -> list[CycleRow]:
    """The person's cycles, in a fixed number of queries however many there are (no status read per cycle)."""
    rows = []
    taking_part = cycles_taking_part(engine, cycles, seen.email)
    held = hold_ups(engine, lambda definition: find_person(definition, seen.email) is not None)
    for row in taking_part:
        key = (row["definition"], row["version"])
        definition = cycles.version(*key)
        board = definition.stages[row["stage"]].board or ""
        rows.append(CycleRow(
            row["cycle"], cycle_title(definition, row["year"], row["cycle"]), row["definition"], row["year"], row["stage_title"],
            row["status"], board, board_name(definition, board), row["due"], row["working_days_left"],
            row["overdue"], held.get(row["id"], ()) if row["status"] == "active" else ()))
    return rows


def options(pairs: dict[str, str]) -> list[tuple[str, str]]:
    return [("", "Any"), *sorted(pairs.items(), key=lambda pair: pair[1])]


def show(request: Request, seen: Viewer, definition: str, year: str, board: str, overdue: bool) -> Response:
    engine = request.app.state.cycle.engine
    every = rows_of(engine, request.app.state.cycles, seen)
    titles = {d.id: d.title for d in request.app.state.directory.definitions()}
    choices: dict[str, Any] = {
        "definition": options({r.definition: titles.get(r.definition, r.definition) for r in every}),
        "year": [("", "Any"), *((str(y), str(y)) for y in sorted({r.year for r in every}, reverse=True))],
        "board": options({r.board: r.board_name for r in every if r.board}),
    }
    shown = [r for r in every
             if (not definition or r.definition == definition) and (not year or str(r.year) == year)
             and (not board or r.board == board) and (not overdue or r.overdue)]
    return render(request, "cycles.html", title="Cycles", section="/cycles", rows=shown, every=len(every),
                  may_start=bool(startable(request, seen)),
                  registers=sorted((title, ident) for ident, title in titles.items() if ident in seen.people),
                  choices=choices, chosen={"definition": definition, "year": year, "board": board,
                                           "overdue": overdue})


@router.get("/cycles")
async def cycles_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], definition: Choice = "",
                      year: Choice = "", board: Choice = "", overdue: Choice = "") -> Response:
    return await run_in_threadpool(show, request, seen, definition, year, board, bool(overdue))
