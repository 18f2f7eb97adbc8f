"""The fire button of every page: one POST that runs the engine's own command as the signed-in person.

Success redirects back with a sentence; a refusal redirects back too, to the page the person
came from, which shows the engine's sentence in its error summary and beside the button that
was pressed (Post/Redirect/Get: the address is the page's, not the POST's), and nothing has changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.errors import CycleError, NotFound

from ..access import seat
from ..problems import status_of
from . import cycle as cycle_page
from . import my_work
from .render import done, fire_control, refused
from .viewer import Viewer, viewer
from .words import cycle_title, stage_title, trigger_title

router = APIRouter(include_in_schema=False)

# The pages a fire button can be on: each shows itself again with errors beside the controls.
BackPage = Callable[[Request, Viewer, str, dict[str, str], int], Response]
BACK_PAGES: dict[str, tuple[Callable[[str], str], BackPage]] = {
    "my-work": (lambda _cycle: "/my-work",
                lambda request, seen, _cycle, errors, status: my_work.show(request, seen, errors=errors,
                                                                          status=status)),
    "cycle": (lambda cycle: f"/cycles/{cycle}",
              lambda request, seen, cycle, errors, status: cycle_page.show(request, seen, cycle, errors, status)),
}


def back_page(name: str) -> tuple[Callable[[str], str], BackPage]:
    return BACK_PAGES.get(name, BACK_PAGES["my-work"])


def fire_now(request: Request, seen: Viewer, cycle: str, trigger: str, strand: str | None, comment: str | None,
             back: str) -> Response:
    engine = request.app.state.cycle.engine
    url, page = back_page(back)
    try:
        at = seat(request.app.state.cycles, seen.principal, cycle)
        fired = engine.fire(at.cycle.id, trigger, at.person, strand=strand, comment=comment)
    except CycleError as exc:
        known_id = None if isinstance(exc, NotFound) else _cycle_id(request, cycle)
        if known_id is None:  # no such cycle for this person: its page would be "not found" too
            return page(request, seen, cycle, {"fire": str(exc)}, status_of(exc))
        key = request.app.state.cycles.get(cycle).key
        return refused(url(key), {fire_control(known_id, trigger, strand): str(exc)})
    definition = at.definition
    what = trigger_title(definition, trigger, strand)
    where = (f"{cycle_title(definition, at.cycle.year, at.cycle.key)} is now at '{stage_title(definition, fired.to_state)}'"
             if not strand else f"the strand is now '{fired.to_state.replace('_', ' ')}'")
    return done(url(at.cycle.key), f"{what}: done; {where}.")


def _cycle_id(request: Request, cycle: str) -> int | None:
    try:
        return int(request.app.state.cycles.get(cycle).id)
    except CycleError:
        return None


@router.post("/cycles/{cycle}/fire")
async def fire(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
               trigger: Annotated[str, Form(max_length=100)], back: Annotated[str, Form(max_length=20)] = "my-work",
               strand: Annotated[str, Form(max_length=100)] = "",
               comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return await run_in_threadpool(fire_now, request, seen, cycle, trigger, strand or None, comment or None, back)
