"""A cycle's Overview: where it stands, its timeline, the gates of what the person may fire, its strands and dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from workflow.commands.contacts import COMMAND as CONTACTS
from workflow.commands.meetings import require_manager
from workflow.commands.migrate import require_migrator
from workflow.definition.gates import Facts
from workflow.definition.model import Definition
from workflow.engine import Engine, Status
from workflow.errors import CycleError
from workflow.store.models import Cycle

from ..access import Seat, no_cycle, seat
from .case_fields import summary_rows
from .cycle_gates import fireable, meetable
from .render import render
from .timeline_chart import timeline_svg
from .viewer import Viewer, viewer
from .words import cycle_title, person_title, trigger_title

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class StrandRow:
    strand: str
    title: str
    state: str
    complete: bool
    due: str | None
    moves: tuple[tuple[str, str], ...]  # (trigger, title) the person may fire on it now


def owners(definition: Definition, role: str | None) -> str:
    """The people who hold the stage's owning role, by name."""
    if not role:
        return ""
    return "; ".join(person_title(definition, p.id) for p in definition.people.values() if role in p.roles)


def strand_rows(at: Seat, status: Status, roles: set[str]) -> list[StrandRow]:
    stage = at.definition.stages[status.stage]
    rows = []
    for found in status.strands:
        spec = stage.strand(found["strand"])
        lifecycle = at.definition.lifecycles[spec.lifecycle] if spec else None
        moves = tuple((t.trigger, t.title or t.trigger) for t in (lifecycle.transitions if lifecycle else ())
                      if found["state"] in t.sources and t.at is None and roles & set(t.roles))
        rows.append(StrandRow(found["strand"], found["title"], found["state"].replace("_", " "), found["complete"],
                              found["due"], moves if status.status == "active" else ()))
    return rows


def facts_of(engine: Engine, cycle_id: int, definition: Definition) -> Facts:
    """What the gates read, and the cycle's own dates (its meetings as moved) for the picture."""
    with engine.sessions() as session:
        row = session.get(Cycle, cycle_id)
        if row is None:  # seat() found it a moment ago; cycles are never deleted
            raise no_cycle(cycle_id)
        return engine.facts(session, row, definition, engine.clock.now())


def picture(at: Seat, status: Status, facts: Facts) -> Markup:
    """The dated timeline as an SVG Gantt chart; safe markup because timeline_chart writes and escapes every word."""
    return Markup(timeline_svg(at.definition, facts.timeline, current=status.stage, today=facts.today,
                               strands_done={s["strand"]: s["complete"] for s in status.strands},
                               finished=status.status == "complete",
                               title=cycle_title(at.definition, at.cycle.year, at.cycle.key)))


def timed_steps(at: Seat, stage: str, facts: Facts) -> list[tuple[str, dt.date]]:
    """The steps from `stage` nobody presses a button for: the scheduler takes each at the end of the day the
    definition sets (on the cycle's own dates). (title, day)."""
    return [(trigger_title(at.definition, t.trigger), facts.timeline.resolve(t.at))
            for t in at.definition.transitions_from(stage) if t.at is not None]


def more_tasks(at: Seat) -> list[tuple[str, str]]:
    """The cycle's other pages the person may use, by the commands' own rules: (address, link text)."""
    found = []
    for rule, page, text in ((require_manager, "meetings", "Move or cancel a board meeting"),
                             (require_migrator, "migrate", "Move the cycle to another version of its definition")):
        try:
            rule(at.definition, at.person)
        except CycleError:
            continue
        found.append((f"/cycles/{at.cycle.key}/{page}", text))
    return found


def show(request: Request, seen: Viewer, cycle: str, errors: dict[str, str] | None = None,
         status: int = 200) -> Response:
    engine: Engine = request.app.state.cycle.engine
    at = seat(request.app.state.cycles, seen.principal, cycle)
    now = engine.status(at.cycle.id, reader=at.person)
    facts = facts_of(engine, at.cycle.id, at.definition)
    due = dt.date.fromisoformat(now.due) if now.due else None
    roles = set(engine.roles_of(at.definition, at.person))
    return render(request, "cycle.html", status=status, title=cycle_title(at.definition, at.cycle.year, at.cycle.key),
                  section="/cycles", errors=errors or {}, at=at, now=now, due=due,
                  owner=owners(at.definition, now.owner), picture=picture(at, now, facts),
                  fireable=(fireable(at.definition, now.stage, roles, facts, at.cycle.key, at.person)
                            if now.status == "active" else []),
                  meetable=(meetable(at.definition, now.stage, roles, facts, at.cycle.key, at.person)
                            if now.status == "active" else []),
                  timed=timed_steps(at, now.stage, facts) if now.status == "active" else [],
                  strands=strand_rows(at, now, roles), more=more_tasks(at) if now.status == "active" else [],
                  case=summary_rows(now.fields),
                  manages_contacts=bool(at.definition.case_roles) and bool(
                      roles & set(at.definition.permissions.get(CONTACTS, ()))))


@router.get("/cycles/{cycle}")
async def cycle_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show, request, seen, cycle)
