"""Case details: a cycle's fields as the reader may see them, and the form that sets them (`cycle fields set`).

The start page asks for the same fields (`inputs_of`, `submitted`, `errors_of`), so both forms name a field's
control `field_<id>` and show the engine's sentence beside it, every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.case_fields import FIELDS_PERMISSION, START, CaseField
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.errors import CycleError, FieldValuesInvalid
from workflow.reads.case_data import FieldShown

from ..access import seat
from ..problems import status_of
from .render import done, render
from .viewer import Viewer, viewer
from .words import cycle_title

router = APIRouter(include_in_schema=False)
PREFIX = "field_"
HINTS = {"date": "For example, 2026-03-14 (year-month-day).", "email": "For example, name@example.org.",
         "number": "A number, for example 3.", "text": "", "choice": ""}


def inputs_of(fields: Mapping[str, CaseField], values: Mapping[str, str], *, starting: bool = False) -> list[dict[str, Any]]:
    """What the form macro draws for each field: its control name, label, kind, hint, choices and value."""
    found = []
    for spec in fields.values():
        optional = starting and spec.required_at != START  # GOV.UK marks the optional questions, not the others
        hint = HINTS[spec.type] + (" Personal data: shown only to those entitled to the case." if spec.personal else "")
        found.append({"name": PREFIX + spec.id, "label": spec.title + (" (optional)" if optional else ""),
                      "type": spec.type, "hint": hint.strip(), "value": values.get(spec.id, ""),
                      "choices": [("", "Choose")] + [(c, c) for c in spec.choices]})
    return found


def submitted(form: Mapping[str, Any], fields: Mapping[str, CaseField]) -> dict[str, str]:
    """The fields a form gave a value, by id; a field left blank is not set (nor cleared)."""
    return {spec.id: str(form.get(PREFIX + spec.id, "")) for spec in fields.values()
            if str(form.get(PREFIX + spec.id, "")).strip()}


def errors_of(exc: FieldValuesInvalid) -> dict[str, str]:
    return {PREFIX + name: sentence for name, sentence in exc.problems.items()}


def may_set(definition: Definition, person: str) -> bool:
    """Those the `fields` permission names (the `start` roles where the definition names none), as the command checks."""
    command = FIELDS_PERMISSION if FIELDS_PERMISSION in definition.permissions else START
    held = set(definition.people[person].roles) if person in definition.people else set()
    return bool(held & set(definition.permissions.get(command, ())))


def summary_rows(shown: list[FieldShown]) -> list[tuple[str, str]]:
    """(title, value as the reader may see it) for a summary list."""
    return [(f.title + (" (personal)" if f.personal else ""), f.value or "Not given") for f in shown]


def show(request: Request, seen: Viewer, cycle: str, *, typed: dict[str, str] | None = None,
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    engine: Engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    shown = engine.case_fields(at.cycle.id, at.person)
    values = typed if typed is not None else {f.id: f.raw for f in shown}
    active = engine.status(at.cycle.id, reader=at.person).status == "active"
    return render(request, "case_fields.html", status=status, title="Case details", section="/cycles",
                  errors=errors or {}, at=at, cycle_title=cycle_title(at.definition, at.cycle.year, at.cycle.key), shown=shown,
                  rows=summary_rows(shown),
                  inputs=inputs_of(at.definition.fields, values) if active and may_set(at.definition, at.person)
                  else [])


def save(request: Request, seen: Viewer, cycle: str, form: Mapping[str, Any]) -> Response:
    engine: Engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    values = submitted(form, at.definition.fields)
    try:
        changed = engine.set_fields(at.cycle.id, values, at.person, comment=None)
    except FieldValuesInvalid as exc:
        return show(request, seen, cycle, typed=values, errors=errors_of(exc), status=422)
    except CycleError as exc:
        return show(request, seen, cycle, typed=values, errors={"fields": str(exc)}, status=status_of(exc))
    titles = [at.definition.fields[name].title.lower() for name in changed]
    notice = f"Saved: {', '.join(titles)}" if titles else "Nothing changed"
    return done(f"/cycles/{at.cycle.key}/fields", notice)


@router.get("/cycles/{cycle}/fields")
async def fields_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle)


@router.post("/cycles/{cycle}/fields")
async def fields_post(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(save, request, seen, cycle, form)
