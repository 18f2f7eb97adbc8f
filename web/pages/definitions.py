"""Definitions (admin): every definition in the folder and the versions running cycles use; one definition's
stages, transitions, boards, state diagram and dated timeline; the reminders a year would send."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from notifications import reminders
from workflow.definition.calendar import Timeline
from workflow.definition.gates import describe
from workflow.definition.loader import load_definition
from workflow.definition.model import Definition
from workflow.errors import CycleError, DefinitionError, Problem, UnknownDefinition
from workflow.time.clock import local_date

from ..access import DefinitionId, KnownCycles
from .listing import numbered, summary
from .render import render
from .state_diagram import state_diagram_svg
from .viewer import Viewer, admin_only, viewer
from .words import cycle_title, person_title, role_title, stage_title

router = APIRouter(include_in_schema=False)
MANAGES = "manages definitions"
YearAsked = Annotated[str, Query(max_length=20)]
MEMBERSHIP = {"voting": "Voting member", "voting_chair": "Chair (votes)", "chair": "Chair (does not vote)",
              "advisor": "Advisor (does not vote)", "observer": "Observer (does not vote)",
              "officer": "Officer (does not vote)"}


@dataclass(frozen=True)
class Running:
    key: str
    title: str
    stage: str


@dataclass(frozen=True)
class Version:
    number: int
    registered_at: dt.datetime | None
    cycles: list[Running] = field(default_factory=list)  # the first `SHOWN`
    running: int = 0  # every running cycle on this version

    @property
    def more(self) -> int:
        return self.running - len(self.cycles)


@dataclass(frozen=True)
class Listed:
    """A definition in the folder with the versions stored in the database and the running cycles on each."""

    definition: Definition
    file: str
    versions: list[Version]


@dataclass(frozen=True)
class Broken:
    """A file in the folder the loader refuses: nobody can start a cycle from it until it is mended."""

    file: str
    stem: str
    problems: int


SHOWN = 10
"""Running cycles named on each version; the rest are counted (a thousand links would bury the versions)."""


def running_by_version(request: Request) -> dict[tuple[str, int], tuple[list[Running], int]]:
    engine = request.app.state.cycle.engine
    cycles: KnownCycles = request.app.state.cycles
    return {key: ([Running(row["cycle"], cycle_title(cycles.version(*key), row["year"], row["cycle"]),
                           row["stage_title"]) for row in rows], count)
            for key, (rows, count) in engine.running_by_version(SHOWN).items()}


def catalogue(request: Request) -> tuple[list[Listed], list[Broken]]:
    engine = request.app.state.cycle.engine
    catalog = engine.catalog
    with engine.sessions() as session:
        stored = [(s.id, s.version, s.registered_at) for s in catalog.stored_versions(session)]
    running = running_by_version(request)
    listed, broken = [], []
    for path in catalog.files():
        try:
            d = catalog.load(str(path))
        except DefinitionError as exc:
            broken.append(Broken(path.name, path.stem, len(exc.problems)))
            continue
        versions = [Version(v, at, *running.get((d.id, v), ([], 0))) for i, v, at in stored if i == d.id]
        if d.version not in {v.number for v in versions}:
            versions.append(Version(d.version, None))  # in the folder, not yet started on
        listed.append(Listed(d, path.name, sorted(versions, key=lambda v: -v.number)))
    return listed, broken


@router.get("/definitions")
async def definitions_page(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    admin_only(seen, MANAGES)
    listed, broken = await run_in_threadpool(catalogue, request)
    return render(request, "definitions.html", title="Definitions", section="/definitions",
                  listed=listed, broken=broken)


def _year(request: Request, asked: str) -> tuple[int, dict[str, str]]:
    """The cycle year asked for (this year when none is), or this year with the sentence saying why not."""
    this_year = local_date(request.app.state.cycle.engine.clock.now()).year
    if not asked.strip():
        return this_year, {}
    if asked.strip().isascii() and asked.strip().isdigit() and 2000 <= int(asked) <= 2100:
        return int(asked), {}
    return this_year, {"year": f"enter the cycle year as four digits from 2000 to 2100, such as {this_year}"}


def _folder_definition(request: Request, definition: str) -> Definition:
    loaded: Definition = request.app.state.cycle.engine.catalog.load_id(definition)
    return loaded


def show(request: Request, definition: str, asked: str) -> Response:
    d = _folder_definition(request, definition)
    year, errors = _year(request, asked)
    timeline = Timeline(d, year)
    transitions = [(t, [stage_title(d, s) for s in t.sources], [role_title(d, r) for r in t.roles],
                    [describe(g, d, timeline) for g in t.gates]) for t in d.transitions]
    boards = [(b, [(person_title(d, person), MEMBERSHIP.get(kind, kind)) for person, kind in b.members])
              for b in d.boards.values()]
    owners = {s.id: role_title(d, s.owner) if s.owner else "" for s in d.stages.values()}
    return render(request, "definition.html", status=422 if errors else 200, title=d.title, section="/definitions",
                  errors=errors, d=d, year=year, asked=asked if errors else year,
                  transitions=transitions, boards=boards, owners=owners, dated=timeline.dated(),
                  due={s: timeline.stage_due(s) for s in d.stages}, diagram=state_diagram_svg(d))


@router.get("/definitions/{definition}")
async def definition_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], definition: DefinitionId,
                          year: YearAsked = "") -> Response:
    admin_only(seen, MANAGES)
    return await run_in_threadpool(show, request, definition, year)


def reminders_for(request: Request, definition: str, asked: str) -> Response:
    d = _folder_definition(request, definition)
    year, errors = _year(request, asked)
    planned = reminders.preview_year(d, year, request.app.state.cycle.engine.catalog.templates_for_snapshot(d))
    # One row for each reminder, with everyone it goes to (a subject that greets by name makes a row each).
    grouped: dict[tuple[dt.datetime, str, str], list[str]] = {}
    for row, _ in planned:
        grouped.setdefault((row.when, row.subject, row.stage), []).append(person_title(d, row.person))
    rows = [(when, subject, people, stage_title(d, stage)) for (when, subject, stage), people in grouped.items()]
    return render(request, "definition_reminders.html", status=422 if errors else 200,
                  title=f"Reminders of {d.title} in {year}", section="/definitions", errors=errors, d=d, year=year,
                  asked=asked if errors else year, rows=rows)


@router.get("/definitions/{definition}/reminders")
async def reminders_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], definition: DefinitionId,
                         year: YearAsked = "") -> Response:
    admin_only(seen, MANAGES)
    return await run_in_threadpool(reminders_for, request, definition, year)


def file_errors(request: Request, stem: str) -> Response:
    """An invalid file in the folder, numbered, with each problem beside its line."""
    catalog = request.app.state.cycle.engine.catalog
    path = next((p for p in catalog.files() if p.stem == stem), None)
    if path is None:
        raise UnknownDefinition(f"there is no definition file '{stem}.yaml' in the definitions folder")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        load_definition(path, templates_dir=catalog.templates_for(path))
        problems: list[Problem] = []
    except CycleError as exc:
        problems = list(getattr(exc, "problems", []))
    lines, unplaced = numbered(text, problems)
    return render(request, "definition_errors.html", title=f"Errors in {path.name}", section="/definitions",
                  file=path.name, lines=lines, unplaced=unplaced, errors=summary(lines, unplaced))


@router.get("/definitions/{stem}/errors")
async def errors_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], stem: DefinitionId) -> Response:
    admin_only(seen, MANAGES)
    return await run_in_threadpool(file_errors, request, stem)
