"""Case contacts: a case's outside parties (a family contact), listed, added, changed and removed by those the
definition lets manage them (`permissions.contacts`), as `cycle contacts` does.

Every form shows all its problems at once, beside each control (role, name, email, address), from the engine's
own check; the engine also checks the role, so a person it refuses is shown the error page and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.commands import contacts as commands
from workflow.errors import FieldValuesInvalid, NotFound
from workflow.reads import contacts as reads

from ..access import Seat, engine_of, known_of, seat
from ..records import RowId
from .render import done, render
from .viewer import Viewer, viewer
from .words import cycle_title

router = APIRouter(include_in_schema=False)
CONTROLS = ("role", "name", "email", "address")


def typed_of(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(form.get(name, "")) for name in CONTROLS}


def _page(request: Request, at: Seat, template: str, *, status: int = 200, **context: Any) -> Response:
    roles = [("", "Choose"), *at.definition.case_roles.items()]
    return render(request, template, status=status, title=context.pop("title"), section="/cycles", at=at,
                  cycle_title=cycle_title(at.definition, at.cycle.year, at.cycle.key), roles=roles, **context)


def show(request: Request, seen: Viewer, cycle: str, *, typed: dict[str, str] | None = None,
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    found = reads.contacts(engine_of(request), at.cycle.id, at.person)  # refuses those who may not manage them
    return _page(request, at, "contacts.html", status=status, title="Contacts", contacts=found,
                 typed=typed or dict.fromkeys(CONTROLS, ""), errors=errors or {})


def add(request: Request, seen: Viewer, cycle: str, form: Mapping[str, Any]) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    typed = typed_of(form)
    try:
        added = commands.add(engine_of(request), at.cycle.id, at.person, role=typed["role"], name=typed["name"],
                             email=typed["email"], address=typed["address"])
    except FieldValuesInvalid as exc:
        return show(request, seen, cycle, typed=typed, errors=exc.problems, status=422)
    return done(f"/cycles/{at.cycle.key}/contacts", f"Added {added.name} as {added.role_title.lower()}")


def change_form(request: Request, seen: Viewer, cycle: str, contact_id: int, *, typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    found = next((c for c in reads.contacts(engine_of(request), at.cycle.id, at.person) if c.id == contact_id), None)
    if found is None:
        raise NotFound(f"cycle {at.cycle.key} has no contact {contact_id}")
    if typed is None:
        typed = {"role": found.role, "name": found.name, "email": found.email or "",
                 "address": (found.address or "").replace("\n", ", ")}
    return _page(request, at, "contact_change.html", status=status, title=f"Change {found.name}", contact=found,
                 typed=typed, errors=errors or {})


def change(request: Request, seen: Viewer, cycle: str, contact_id: int, form: Mapping[str, Any]) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    typed = typed_of(form)
    try:
        found, changed = commands.change(engine_of(request), at.cycle.id, at.person, contact_id, role=typed["role"],
                                         name=typed["name"], email=typed["email"], address=typed["address"])
    except FieldValuesInvalid as exc:
        return change_form(request, seen, cycle, contact_id, typed=typed, errors=exc.problems, status=422)
    said = f"Changed the {', '.join(changed)} of {found.name}" if changed else f"Nothing changed for {found.name}"
    return done(f"/cycles/{at.cycle.key}/contacts", said)


def remove(request: Request, seen: Viewer, cycle: str, contact_id: int) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    gone = commands.remove(engine_of(request), at.cycle.id, at.person, contact_id)
    return done(f"/cycles/{at.cycle.key}/contacts", f"Removed {gone.name}: nothing more is sent to them")


Seen = Annotated[Viewer, Depends(viewer)]


@router.get("/cycles/{cycle}/contacts")
async def contacts_page(request: Request, seen: Seen, cycle: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle)


@router.post("/cycles/{cycle}/contacts")
async def contacts_post(request: Request, seen: Seen, cycle: str) -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(add, request, seen, cycle, form)


@router.get("/cycles/{cycle}/contacts/{contact_id}")
async def contact_page(request: Request, seen: Seen, cycle: str, contact_id: RowId) -> Response:
    return await run_in_threadpool(change_form, request, seen, cycle, contact_id)


@router.post("/cycles/{cycle}/contacts/{contact_id}")
async def contact_post(request: Request, seen: Seen, cycle: str, contact_id: RowId) -> Response:
    form = dict((await request.form()).items())
    return await run_in_threadpool(change, request, seen, cycle, contact_id, form)


@router.post("/cycles/{cycle}/contacts/{contact_id}/remove")
async def contact_remove(request: Request, seen: Seen, cycle: str, contact_id: RowId) -> Response:
    return await run_in_threadpool(remove, request, seen, cycle, contact_id)
