"""A cycle's History: the append-only trail as a table a person reads, exempt content hidden by the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.model import Definition
from workflow.engine import SYSTEM_ACTOR, Engine
from workflow.reads.case_data import HISTORY_ACTIONS, history_words

from ..access import seat
from .render import render
from .viewer import Viewer, viewer
from .words import board_name, cycle_title, person_title, stage_title, trigger_title

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Entry:
    at: str
    who: str
    what: str
    comment: str


def moved(definition: Definition, entry: dict[str, Any]) -> str:
    """'Early findings' to 'Strategic assessment sign-off', or a strand's states."""
    if entry["strand"]:
        return f"'{entry['from'].replace('_', ' ')}' to '{entry['to'].replace('_', ' ')}'"
    return f"'{stage_title(definition, entry['from'])}' to '{stage_title(definition, entry['to'])}'"


def what(definition: Definition, entry: dict[str, Any]) -> str:
    """One history row in words; an exempt paper is named only by the kind of paper the definition lists."""
    data = entry["data"]
    action = str(entry["action"])
    if action == "start":
        return f"Started the cycle at '{stage_title(definition, entry['to'])}'"
    if action == "fire":
        return f"Fired '{trigger_title(definition, entry['trigger'], entry['strand'])}': {moved(definition, entry)}"
    if action == "attach":
        kind = definition.papers.get(data.get("paper", ""), data.get("paper", ""))
        if data.get("exempt"):
            return f"Attached an exempt paper for '{kind}'" + (" (withheld from you)" if data.get("withheld") else "")
        title = data.get("title") or kind
        return f"Attached '{title}'" + (f" for '{kind}'" if title != kind else "")
    if action in ("decide", "rescind"):
        item = definition.item_title(str(data.get("board") or ""), str(data.get("item") or ""))
        withheld = f" (its comment and reason withheld from you: {data['withheld']})" if data.get("withheld") else ""
        return f"Recorded the {board_name(definition, data.get('board'))}'s decision on '{item}': {data['outcome']}{withheld}"
    if action == "document":
        found = definition.documents.get(data.get("spec", ""))
        return f"Made the document '{found.title if found else data.get('spec')}' ({data.get('version')})"
    if action == "overdue":
        return f"'{stage_title(definition, data.get('stage', ''))}' became overdue"
    if action in HISTORY_ACTIONS:
        return history_words(definition, action, data)
    return action.replace("_", " ").capitalize()


def entries(definition: Definition, rows: list[dict[str, Any]]) -> list[Entry]:
    return [Entry(row["at"], "The service, on its own" if row["actor"] == SYSTEM_ACTOR else person_title(definition, row["actor"]),
                  what(definition, row), row["comment"] or "")
            for row in rows]


def show(request: Request, seen: Viewer, cycle: str) -> Response:
    engine: Engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    rows = engine.history(at.cycle.id, reader=at.person)
    return render(request, "cycle_history.html", title=f"History: {cycle_title(at.definition, at.cycle.year, at.cycle.key)}",
                  cycle_name=cycle_title(at.definition, at.cycle.year, at.cycle.key), section="/cycles", at=at,
                  entries=entries(at.definition, rows))


@router.get("/cycles/{cycle}/history")
async def history_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle)
