"""Start a cycle: an officer picks a definition they may start and the cycle year, as `cycle start` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.errors import CycleError
from workflow.time.clock import local_date

from ..problems import status_of
from .render import done, render
from .viewer import Viewer, viewer
from .words import cycle_title

router = APIRouter(include_in_schema=False)


def startable(request: Request, seen: Viewer) -> list[tuple[str, str]]:
    """The definitions whose directory lets this person start a cycle: (id, title) pairs."""
    found = []
    for definition in request.app.state.directory.definitions():
        person = seen.people.get(definition.id)
        if person and set(person.roles) & set(definition.permissions.get("start", ())):
            found.append((definition.id, definition.title))
    return sorted(found, key=lambda pair: pair[1])


def show(request: Request, seen: Viewer, *, typed: dict[str, str] | None = None,
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    choices = startable(request, seen)
    today = local_date(request.app.state.cycle.engine.clock.now())
    typed = typed or {"definition": choices[0][0] if len(choices) == 1 else "", "year": str(today.year)}
    return render(request, "start_cycle.html", status=status, title="Start a cycle", section="/cycles",
                  choices=[("", "Choose a strategy"), *choices], typed=typed, errors=errors or {},
                  asks_reference=asks_reference(request, choices, typed.get("definition", "")))


def asks_reference(request: Request, choices: list[tuple[str, str]], chosen: str) -> list[str]:
    """The titles of the definitions (the chosen one, or any offered) whose cases the starter names."""
    typed = {d.id for d in request.app.state.directory.definitions() if d.instances.typed}
    return [title for ident, title in choices if ident in typed and (not chosen or ident == chosen)]


def start_now(request: Request, seen: Viewer, definition: str, year: str, comment: str,
              reference: str = "") -> Response:
    typed = {"definition": definition, "year": year, "comment": comment, "reference": reference}
    if not year.strip().isdigit():
        return show(request, seen, typed=typed, errors={"year": "enter the cycle year as four digits, like 2021"},
                    status=422)
    person = seen.people.get(definition)
    if person is None:
        return show(request, seen, typed=typed, status=422,
                    errors={"definition": "choose a strategy whose directory lists you"})
    engine = request.app.state.cycle.engine
    try:
        started = engine.start(definition, int(year), person.id, comment=comment or None,
                               reference=reference.strip() or None)
    except CycleError as exc:
        field = ("reference" if "reference" in str(exc) else
                 "year" if "year" in str(exc) or "exists" in str(exc) else "definition")
        return show(request, seen, typed=typed, errors={field: str(exc)}, status=status_of(exc))
    title = cycle_title(engine.catalog.load(definition), int(year), started.cycle)
    return done(f"/cycles/{started.cycle}", f"{title} has started; it is at its first stage")


@router.get("/cycles/start")
async def start_form(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(show, request, seen)


@router.post("/cycles/start")
async def start(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                definition: Annotated[str, Form(max_length=100)] = "", year: Annotated[str, Form(max_length=10)] = "",
                comment: Annotated[str, Form(max_length=2000)] = "",
                reference: Annotated[str, Form(max_length=120)] = "") -> Response:
    return await run_in_threadpool(start_now, request, seen, definition, year, comment, reference)



