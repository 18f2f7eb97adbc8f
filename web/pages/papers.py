"""A cycle's papers: those the person may see, with their downloads, and the form that attaches one.

The list is the API's own (`records.papers_for`, by `workflow.definition.entitlement`); the form runs the API's
`records.attach_upload`, so the engine checks the person's role and the file exactly as for `cycle attach`.
A refusal shows the form again with the engine's sentence beside the field it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition.who_acts import may
from workflow.engine import SCHEDULE_12A
from workflow.errors import CycleError, RoleMissing

from ..access import Seat, seat
from ..problems import status_of
from ..records import RowId, attach_upload, papers_for
from ..records import paper_file as download_paper
from .render import done, render
from .viewer import Viewer, viewer
from .words import board_name, cycle_title, person_title, stage_title

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Typed:
    """What the person chose on the form, kept when it is shown again (a browser cannot keep a file)."""

    paper: str = ""
    exempt: str = ""  # "yes", "no" or nothing chosen
    paragraph: str = ""
    stage: str = ""


def cycle_words(at: Seat) -> dict[str, Any]:
    """What every page of a cycle's records shows at its top: the cycle's title and key."""
    return {"cycle": at.cycle, "cycle_title": cycle_title(at.definition, at.cycle.year, at.cycle.key)}


def show_papers(request: Request, seen: Viewer, cycle: str) -> Response:
    at = seat(request.app.state.cycles, seen.principal, cycle)
    definition = at.definition
    rows = [p | {"stage_title": stage_title(definition, p["stage"]),
                 "board": board_name(definition, definition.stages[p["stage"]].board
                                     if p["stage"] in definition.stages else None),
                 "later": [{"stage_title": stage_title(definition, s), "board": board_name(definition,
                                                                                         definition.stages[s].board)}
                           for s in p["considered_at"][1:]],
                 "attached_by_title": person_title(definition, p["attached_by"]),
                 "paragraph": _paragraph(p["exempt_reason"])}
            for p in papers_for(request, seen.principal, cycle)]
    # The link to the form is a courtesy; the engine checks the role again on attaching.
    may_attach = may(definition, at.person, "attach")
    return render(request, "papers.html", title=f"Papers – {cycle_words(at)['cycle_title']}", section="/cycles",
                  papers=rows, may_attach=may_attach, **cycle_words(at))


def _paragraph(reason: str | None) -> str:
    """'7' from the engine's 'Schedule 12A, paragraph 7: ...'."""
    if not reason or "paragraph " not in reason:
        return ""
    return reason.split("paragraph ", 1)[1].split(":", 1)[0]


def show_form(request: Request, seen: Viewer, cycle: str, typed: Typed, *, errors: dict[str, str] | None = None,
              status: int = 200) -> Response:
    at = seat(request.app.state.cycles, seen.principal, cycle)
    definition = at.definition
    current, _definition = request.app.state.cycle.engine.definition_of(at.cycle.id)
    order = list(definition.stages)
    later = order[order.index(current.state):] if current.state in order else order
    stages = [("", f"The current stage: {stage_title(definition, current.state)}")] + [
        (s, stage_title(definition, s)) for s in later[1:]]
    papers = [("", "Choose a paper")] + [(pid, title) for pid, title in definition.papers.items()]
    paragraphs = [(str(n), f"Paragraph {n}", text) for n, text in SCHEDULE_12A.items()]
    return render(request, "attach_paper.html", status=status, section="/cycles",
                  title=f"Attach a paper – {cycle_words(at)['cycle_title']}", errors=errors or {}, typed=typed,
                  papers=papers, stages=stages, paragraphs=paragraphs, **cycle_words(at))


def field_of(exc: CycleError) -> str:
    """The form field a refusal concerns, so its sentence stands beside it."""
    text = str(exc)
    if isinstance(exc, RoleMissing) or "names no paper" in text:
        return "paper"
    if "Schedule 12A" in text:
        return "paragraph"
    if "stage" in text and "paper" not in text:
        return "stage"
    return "file"


def attach_now(request: Request, seen: Viewer, cycle: str, typed: Typed, file: UploadFile | None) -> Response:
    at = seat(request.app.state.cycles, seen.principal, cycle)
    errors = unanswered(typed, file)
    if errors or file is None:  # every question left unanswered at once, as the error summary lists them; nothing written
        return show_form(request, seen, cycle, typed, errors=errors, status=422)
    try:
        result = attach_upload(request.app.state.cycle.engine, at, typed.paper, file, exempt=_exempt(typed),
                               stage=typed.stage or None)
    except CycleError as exc:
        return show_form(request, seen, cycle, typed, errors={field_of(exc): str(exc)}, status=status_of(exc))
    marker = " as exempt information" if result.exempt else ""
    return done(f"/cycles/{at.cycle.key}/papers", f"'{result.title}' is attached{marker}.")


def unanswered(typed: Typed, file: UploadFile | None) -> dict[str, str]:
    """The form's own questions left unanswered, in the page's order; the engine checks the answers themselves."""
    errors: dict[str, str] = {}
    if not typed.paper:
        errors["paper"] = "choose which paper this file is"
    if file is None or not file.filename:
        errors["file"] = "choose the paper's file to upload"
    if typed.exempt not in ("yes", "no"):
        errors["exempt"] = "say whether the paper is exempt from publication"
    elif typed.exempt == "yes" and not typed.paragraph.isdigit():
        errors["paragraph"] = "choose the paragraph of Schedule 12A that makes the paper exempt"
    return errors


def _exempt(typed: Typed) -> int | None:
    """The engine's argument: the paragraph of Schedule 12A, or none when the paper can be published."""
    return int(typed.paragraph) if typed.exempt == "yes" else None


@router.get("/cycles/{cycle}/papers")
async def papers_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show_papers, request, seen, cycle)


@router.get("/cycles/{cycle}/papers/new")
async def attach_form(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                      paper: str = "") -> Response:
    return await run_in_threadpool(show_form, request, seen, cycle, Typed(paper=paper[:100]))


@router.post("/cycles/{cycle}/papers/new")
async def attach_paper(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                       paper: Annotated[str, Form(max_length=100)] = "",
                       file: Annotated[UploadFile | None, File()] = None,
                       exempt: Annotated[str, Form(max_length=3)] = "",
                       paragraph: Annotated[str, Form(max_length=2)] = "",
                       stage: Annotated[str, Form(max_length=100)] = "") -> Response:
    typed = Typed(paper=paper, exempt=exempt, paragraph=paragraph, stage=stage)
    return await run_in_threadpool(attach_now, request, seen, cycle, typed, file)


@router.get("/papers/{paper_id}")
async def paper_file(request: Request, seen: Annotated[Viewer, Depends(viewer)], paper_id: RowId) -> Response:
    """The API's download, for a browser: not signed in leads to sign-in, a paper it may not see to the 404 page."""
    return await run_in_threadpool(download_paper, request, seen.principal, paper_id)
