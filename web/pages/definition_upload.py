"""Upload a new version of a definition (admin): checked by the loader as `cycle validate` checks a file;
refused with each problem under its line of YAML; saved as the folder's file for new cycles when sound."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.errors import CycleError, DefinitionError, InvalidInput, Problem

from ..definition_file import parse_upload, read_text, require_yaml, upload_name
from ..problems import status_of
from .definitions import MANAGES
from .listing import numbered, summary
from .render import done, render
from .viewer import Viewer, admin_only, viewer

router = APIRouter(include_in_schema=False)
FIELD = "file"


def form(request: Request, *, status: int = 200, file: str = "", refusal: str = "", text: str | None = None,
         problems: list[Problem] | None = None) -> Response:
    """The upload form; after a refusal, its sentence beside the file field, or the YAML with each problem."""
    lines, unplaced = numbered(text, problems) if problems else ([], [])
    errors = {FIELD: refusal} if refusal else summary(lines, unplaced)
    return render(request, "definition_upload.html", status=status, title="Upload a definition",
                  section="/definitions", errors=errors, refusal=refusal, file=file, lines=lines, unplaced=unplaced)


@router.get("/definitions/upload")
async def upload_form(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    admin_only(seen, MANAGES)
    return form(request)


def install(request: Request, upload: UploadFile) -> Response:
    engine = request.app.state.cycle.engine
    catalog = engine.catalog
    name = upload_name(upload)
    text = None
    try:
        require_yaml(upload)
        text = read_text(upload)
        definition = parse_upload(text, name, catalog.templates_dir)
        with engine.sessions() as session:
            try:
                target = catalog.install(session, definition, engine.clock.now())
            finally:
                session.rollback()  # a version is stored when a cycle first starts on it, as from the CLI
    except DefinitionError as exc:
        return form(request, status=status_of(exc), file=name, text=text, problems=exc.problems)
    except CycleError as exc:
        return form(request, status=status_of(exc), file=name, refusal=str(exc))
    return done(f"/definitions/{definition.id}",
                f"{name} is saved as {target.name}: new cycles of {definition.title} start on version "
                f"{definition.version}. Running cycles keep the version they started on until 'cycle migrate' "
                "moves them.")


@router.post("/definitions/upload")
async def upload(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    admin_only(seen, MANAGES)
    if file is None or not file.filename:
        missing = InvalidInput("choose the definition's YAML file to upload")
        return form(request, status=status_of(missing), refusal=str(missing))
    return await run_in_threadpool(install, request, file)
