"""A cycle's Overview: where it stands, its timeline, the gates of what the person may fire, its strands and dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from workflow.definition import Definition
from workflow.engine import Engine, Status

from ..access import Seat, seat
from .cycle_gates import fireable
from .render import render
from .viewer import Viewer, viewer
from .words import cycle_title, person_title

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class StrandRow:
    strand: str
    title: str
    state: str
    complete: bool
    due: str | None
    moves: tuple[tuple[str, str], ...]  # (trigger, title) the person may fire on it now


def owners(definition: Definition, role: str | None) -> str:
    """The people who hold the stage's owning role, by name."""
    if not role:
        return ""
    return "; ".join(person_title(definition, p.id) for p in definition.people.values() if role in p.roles)


def strand_rows(engine: Engine, at: Seat, status: Status) -> list[StrandRow]:
    roles = set(engine.roles_of(at.definition, at.person))
    stage = at.definition.stages[status.stage]
    rows = []
    for found in status.strands:
        spec = stage.strand(found["strand"])
        lifecycle = at.definition.lifecycles[spec.lifecycle] if spec else None
        moves = tuple((t.trigger, t.title or t.trigger) for t in (lifecycle.transitions if lifecycle else ())
                      if found["state"] in t.sources and t.at is None and roles & set(t.roles))
        rows.append(StrandRow(found["strand"], found["title"], found["state"].replace("_", " "), found["complete"],
                              found["due"], moves if status.status == "active" else ()))
    return rows


def picture(engine: Engine, at: Seat) -> Markup:
    """The dated timeline as an SVG Gantt chart, when the timeline module is there."""
    return Markup("")


def show(request: Request, seen: Viewer, cycle: str, errors: dict[str, str] | None = None,
         status: int = 200) -> Response:
    engine: Engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    now = engine.status(at.cycle.id, reader=at.person)
    due = dt.date.fromisoformat(now.due) if now.due else None
    return render(request, "cycle.html", status=status, title=cycle_title(at.definition, at.cycle.year),
                  section="/cycles", errors=errors or {}, at=at, now=now, due=due,
                  owner=owners(at.definition, now.owner), picture=picture(engine, at),
                  fireable=fireable(engine, at.cycle.id, at.definition, at.person),
                  strands=strand_rows(engine, at, now))


@router.get("/cycles/{cycle}")
async def cycle_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle)
