"""/api/v1/definitions: list, show, a year's timeline, validate an uploaded file, preview reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile

from notifications import reminders
from workflow.definition.calendar import Timeline
from workflow.definition.model import Definition
from workflow.errors import DefinitionError
from workflow.time.clock import local_date

from .access import DefinitionId, engine_of, register_reader
from .auth import Me
from .definition_file import parse_upload, read_text, upload_name
from .problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/definitions", responses=PROBLEM_RESPONSES)
Year = Annotated[int | None, Query(ge=2000, le=2100, description="The cycle year (default: this year)")]


def _load(request: Request, definition: str) -> Definition:
    loaded: Definition = engine_of(request).catalog.load_id(definition)
    return loaded


def _year(request: Request, year: int | None) -> int:
    return year or local_date(engine_of(request).clock.now()).year


@router.get("", summary="The definitions on this server")
def list_definitions(request: Request, _me: Me) -> list[dict[str, Any]]:
    catalog = engine_of(request).catalog
    found = []
    for path in catalog.files():
        try:
            d = catalog.load(str(path))
        except DefinitionError as exc:
            found.append({"file": path.name, "valid": False, "problems": len(exc.problems)})
            continue
        found.append({"id": d.id, "title": d.title, "version": d.version, "file": path.name, "valid": True})
    return found


@router.get("/{definition}", summary="A definition's stages, transitions and boards")
def show_definition(request: Request, _me: Me, definition: DefinitionId) -> dict[str, Any]:
    d = _load(request, definition)
    return {
        "id": d.id, "title": d.title, "version": d.version, "description": d.description, "initial": d.initial,
        "stages": [{"id": s.id, "title": s.title, "owner": s.owner, "board": s.board, "final": s.final,
                    "strands": [x.id for x in s.strands]} for s in d.stages.values()],
        "transitions": [{"trigger": t.trigger, "title": t.title, "from": list(t.sources), "to": t.dest,
                         "roles": list(t.roles)} for t in d.transitions],
        "boards": [{"id": b.id, "name": b.name, "quorum": b.quorum} for b in d.boards.values()],
        "permissions": {k: list(v) for k, v in d.permissions.items()},
    }


@router.get("/{definition}/timeline", summary="The dated milestones of a cycle year")
def timeline(request: Request, _me: Me, definition: DefinitionId, year: Year = None) -> dict[str, Any]:
    d = _load(request, definition)
    cycle_year = _year(request, year)
    dated = Timeline(d, cycle_year).dated()
    return {"definition": d.id, "year": cycle_year,
            "timeline": [{"date": day, "milestone": mid, "title": title} for day, mid, title in dated]}


@router.get("/{definition}/reminders", summary="Every reminder a cycle of the year would send, on schedule")
def reminders_preview(request: Request, _me: Me, definition: DefinitionId, year: Year = None) -> list[dict[str, Any]]:
    engine = engine_of(request)
    d = _load(request, definition)
    cycle_year = _year(request, year)
    planned = reminders.preview_year(d, cycle_year, engine.catalog.templates_for_snapshot(d))
    return [{"n": i, "when": row.when, "person": row.person, "email": row.email, "subject": row.subject,
             "stage": row.stage, "rule": row.rule, "kind": row.kind} for i, (row, _) in enumerate(planned, 1)]


@router.post("/validate", summary="Check an uploaded definition file: each problem with its line and field")
def validate(request: Request, _me: Me, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    d = parse_upload(read_text(file), upload_name(file), engine_of(request).catalog.templates_dir)
    return {"valid": True, "id": d.id, "title": d.title, "version": d.version, "stages": len(d.stages),
            "transitions": len(d.transitions), "boards": len(d.boards)}


@router.get("/{definition}/instances", summary="The register: every open instance, its stage, next date and lateness")
def instances(request: Request, me: Me, definition: DefinitionId) -> dict[str, Any]:
    """Instances at a stage whose papers are exempt are listed only to a person entitled to them; for anyone
    else `withheld` says how many there are and how late each is. Like the register page, only for those its
    directory lists (and admins)."""
    engine = engine_of(request)
    return engine.register(definition, register_reader(engine, definition, me)).json()
