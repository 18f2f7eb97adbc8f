"""Choose a case's panel (`cycle panel choose`): the directory's holders of the roles the panel is chosen from, as
GOV.UK checkboxes, the current choice ticked. The engine checks the role, the stage and the panel's independence;
a choice that shares someone with a board or panel it must be independent of comes back as the error summary's
sentence naming the shared members, and nothing is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from workflow.commands.panels import choose_panel, chosen_panels
from workflow.definition.cases import Panel
from workflow.errors import NotFound, Refused, RoleMissing
from workflow.store.models import Cycle

from ..access import Seat, engine_of, known_of, seat
from .cycle_gates import may_choose
from .render import done, render
from .viewer import Viewer, viewer
from .words import cycle_title

router = APIRouter(include_in_schema=False)
CONTROL = "members"


def _spec(at: Seat, panel: str) -> Panel:
    spec = at.definition.panels.get(panel)
    if spec is None:
        raise NotFound(f"'{at.definition.id}' has no panel '{panel}'")
    return spec


def show(request: Request, seen: Viewer, cycle: str, panel: str, *, ticked: Sequence[str] | None = None,
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    spec = _spec(at, panel)
    engine = engine_of(request)
    with engine.sessions() as session:
        row = session.scalars(select(Cycle).where(Cycle.id == at.cycle.id)).one()
        current = chosen_panels(session, row).get(panel, [])
        stage = row.state
    people = [(pid, p.display) for pid, p in at.definition.people.items() if set(p.roles) & set(spec.choose_from)]
    independent = [at.definition.boards[o].name if o in at.definition.boards else at.definition.panels[o].name
                   for o in spec.independent_of if o in at.definition.boards or o in at.definition.panels]
    return render(request, "panel_choose.html", status=status, title=f"Choose the {spec.name}", section="/cycles",
                  at=at, cycle_title=cycle_title(at.definition, at.cycle.year, at.cycle.key), spec=spec,
                  people=people, ticked=set(ticked if ticked is not None else current), current=current,
                  current_names=[at.definition.people[p].display for p in current if p in at.definition.people],
                  independent=independent, errors=errors or {},
                  open=stage == spec.stage and may_choose(at.definition, at.person),
                  stage_title=at.definition.stages[spec.stage].title)


def save(request: Request, seen: Viewer, cycle: str, panel: str, members: list[str]) -> Response:
    at = seat(known_of(request), seen.principal, cycle)
    spec = _spec(at, panel)
    try:
        chosen = choose_panel(engine_of(request), at.cycle.id, panel, members, at.person)
    except Refused as exc:  # bad members, one not independent, another stage; a refused role is the error page
        if isinstance(exc, RoleMissing):
            raise
        sentence = f"choose at least one member of the {spec.name}" if not members else str(exc)
        return show(request, seen, cycle, panel, ticked=members, errors={CONTROL: sentence}, status=422)
    return done(f"/cycles/{at.cycle.key}", f"The {chosen.name} is chosen: {len(chosen.members)} members")


Seen = Annotated[Viewer, Depends(viewer)]


@router.get("/cycles/{cycle}/panels/{panel}")
async def panel_page(request: Request, seen: Seen, cycle: str, panel: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle, panel)


@router.post("/cycles/{cycle}/panels/{panel}")
async def panel_post(request: Request, seen: Seen, cycle: str, panel: str) -> Response:
    members = [str(m) for m in (await request.form()).getlist(CONTROL)]
    return await run_in_threadpool(save, request, seen, cycle, panel, members)
