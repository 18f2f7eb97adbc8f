"""Start a cycle: an officer picks a definition they may start and the cycle year, as `cycle start` does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.case_fields import CaseField
from workflow.errors import CycleError, FieldValuesInvalid
from workflow.time.clock import local_date

from ..problems import status_of
from .case_fields import PREFIX, errors_of, inputs_of, submitted
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
    chosen = declared_fields(request, typed["definition"])
    return render(request, "start_cycle.html", status=status, title="Start a cycle", section="/cycles",
                  choices=[("", "Choose a strategy"), *choices], typed=typed, errors=errors or {},
                  inputs=inputs_of(chosen, {k[len(PREFIX):]: v for k, v in typed.items() if k.startswith(PREFIX)},
                                   starting=True),
                  asks_reference=asks_reference(request, choices, typed.get("definition", "")))


def asks_reference(request: Request, choices: list[tuple[str, str]], chosen: str) -> list[str]:
    """The titles of the definitions (the chosen one, or any offered) whose cases the starter names."""
    typed = {d.id for d in request.app.state.directory.definitions() if d.instances.typed}
    return [title for ident, title in choices if ident in typed and (not chosen or ident == chosen)]


def declared_fields(request: Request, definition_id: str) -> dict[str, CaseField]:
    """The case fields the chosen definition declares (none until one is chosen)."""
    found = next((d for d in request.app.state.directory.definitions() if d.id == definition_id), None)
    return found.fields if found is not None else {}


def start_now(request: Request, seen: Viewer, definition: str, year: str, comment: str,
              form: Mapping[str, Any] | None = None, reference: str = "") -> Response:
    fields = submitted(form or {}, declared_fields(request, definition))
    typed = {"definition": definition, "year": year, "comment": comment, "reference": reference,
             **{PREFIX + k: v for k, v in fields.items()}}
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
                               reference=reference.strip() or None, fields=fields)
    except FieldValuesInvalid as exc:
        return show(request, seen, typed=typed, errors=errors_of(exc), status=422)
    except CycleError as exc:
        field = ("reference" if "reference" in str(exc) else
                 "year" if "year" in str(exc) or "exists" in str(exc) else "definition")
        return show(request, seen, typed=typed, errors={field: str(exc)}, status=status_of(exc))
    title = cycle_title(engine.catalog.load_id(definition), int(year), started.cycle)
    return done(f"/cycles/{started.cycle}", f"{title} has started; it is at its first stage")


@router.get("/cycles/start")
async def start_form(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(show, request, seen)


@router.post("/cycles/start")
async def start(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                definition: Annotated[str, Form(max_length=100)] = "", year: Annotated[str, Form(max_length=10)] = "",
                comment: Annotated[str, Form(max_length=2000)] = "",
                reference: Annotated[str, Form(max_length=120)] = "") -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(start_now, request, seen, definition, year, comment, form, reference)



