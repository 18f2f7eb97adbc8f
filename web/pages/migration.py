"""Move a running cycle to another version of its definition, as `cycle migrate` does, after seeing its dry run.

The page lists the other versions (stored, or the folder's file); choosing one shows the command's
own dry run in the definitions' titles: where the cycle goes, stages renamed, removed and added,
people, boards and the dates re-planned. When the new version has no stage of the current one's
name, the person says where the cycle goes. "Move the cycle" posts the same choice and runs the
command, which records the move in the history. Who may do this is the command's rule
(`require_migrator`), asked before anything is shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.commands.migrate import Upgrade, Version, migrate, require_migrator, versions
from workflow.errors import CycleError

from ..access import Seat, seat
from ..problems import status_of
from .render import done, render
from .viewer import Viewer, viewer
from .words import cycle_title, stage_title

router = APIRouter(include_in_schema=False)
STORED = {True: "A cycle has run on it.", False: "In the definitions folder; no cycle has run on it yet."}


def migrator_seat(request: Request, seen: Viewer, cycle: str) -> Seat:
    """The person at the cycle, once the command's own rule says they may move it (403 otherwise)."""
    at = seat(request.app.state.cycles, seen.principal, cycle)
    require_migrator(at.definition, at.person)
    return at


def _chosen(choices: list[Version], version: str) -> Version | None:
    return next((v for v in choices if str(v.version) == version.strip()), None)


def show(request: Request, seen: Viewer, cycle: str, version: str | None, stage: str | None, *, comment: str = "",
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    engine = request.app.state.cycle.engine
    at = migrator_seat(request, seen, cycle)
    choices = versions(engine, at.cycle.id)
    errors = dict(errors or {})
    chosen = _chosen(choices, version) if version is not None else None
    if version is not None and chosen is None and not errors:
        errors["version"] = ("choose the version to move the cycle to" if not version.strip()
                             else f"there is no other version {version.strip()[:10]} of this definition")
    state = engine.status(at.cycle.id).stage
    needs_stage = chosen is not None and state not in chosen.stages
    preview: Upgrade | None = None
    if chosen is not None and not errors:
        if needs_stage and stage not in chosen.stages:
            if stage is not None:  # asked already (the question below is new once the version is chosen)
                errors["stage"] = (f"version {chosen.version} has no stage ‘{stage_title(at.definition, state)}’: "
                                   "choose where the cycle goes")
        else:
            try:
                preview = migrate(engine, at.cycle.key, chosen.version, at.person,
                                  mapping={state: stage} if needs_stage and stage else {}, dry_run=True)
            except CycleError as exc:  # the command's refusal, beside the choice it concerns
                errors["stage" if needs_stage else "version"] = str(exc)
    name = cycle_title(at.definition, at.cycle.year, at.cycle.key)
    return render(request, "migrate.html", status=422 if errors and status == 200 else status,
                  title=f"Move to another version: {name}", section="/cycles", errors=errors, cycle=at.cycle,
                  cycle_name=name, current=at.definition.version, stage_now=stage_title(at.definition, state),
                  choices=choices, chosen=chosen, needs_stage=needs_stage, stage=stage or "", preview=preview,
                  options=[(str(v.version), f"Version {v.version}: {v.title}", STORED[v.stored]) for v in choices],
                  comment=comment)


def move_now(request: Request, seen: Viewer, cycle: str, version: str, stage: str, comment: str) -> Response:
    engine = request.app.state.cycle.engine
    at = migrator_seat(request, seen, cycle)
    chosen = _chosen(versions(engine, at.cycle.id), version)
    if chosen is None:
        return show(request, seen, cycle, version, stage, comment=comment)
    state = engine.status(at.cycle.id).stage
    mapping = {state: stage} if state not in chosen.stages else {}
    try:
        moved = migrate(engine, at.cycle.key, chosen.version, at.person, mapping=mapping, comment=comment or None)
    except CycleError as exc:
        field = "stage" if mapping else "version"
        return show(request, seen, cycle, version, stage, comment=comment, errors={field: str(exc)},
                    status=status_of(exc))
    return done(f"/cycles/{at.cycle.key}/history",
                f"{cycle_title(at.definition, at.cycle.year, at.cycle.key)} now runs on version {moved.to_version} of its "
                f"definition, at ‘{moved.to_title}’; its deadlines and reminders are planned again")


@router.get("/cycles/{cycle}/migrate")
async def migrate_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                       version: Annotated[str | None, Query(max_length=10)] = None,
                       stage: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    return await run_in_threadpool(show, request, seen, cycle, version, stage)


@router.post("/cycles/{cycle}/migrate")
async def migrate_posted(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                         version: Annotated[str, Form(max_length=10)] = "",
                         stage: Annotated[str, Form(max_length=100)] = "",
                         comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return await run_in_threadpool(move_now, request, seen, cycle, version, stage, comment.strip())
