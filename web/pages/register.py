"""The register of a definition's open instances, for the board that oversees the process: each instance's
stage, its next statutory date and how late it is; an instance at a stage whose papers are exempt is listed
only to a person entitled to them, and counted (with how late it is) for everyone else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..access import DefinitionId, register_reader
from .render import render
from .viewer import Viewer, viewer

router = APIRouter(include_in_schema=False)


def show(request: Request, seen: Viewer, definition: str) -> Response:
    engine = request.app.state.cycle.engine
    found = engine.register(definition, register_reader(engine, definition, seen.principal))
    person = seen.people.get(definition)
    return render(request, "register.html", title=f"{found.title}: register", section="/cycles",
                  register=found, reader=person)


@router.get("/register/{definition}")
async def register_page(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                        definition: DefinitionId) -> Response:
    return await run_in_threadpool(show, request, seen, definition)
