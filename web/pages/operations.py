"""Operations (admins): what waits or failed (mail, deadlines, events) and when each worker and the scheduler last
reported, with the retry an officer would run from the command line.

The figures are `workflow.reads.health`'s, as `cycle health` prints them. A retry acts as the admin's own person in the
cycle's directory, so the rule of who may put failed work back (`workflow.commands.repair.check_officer`) is the CLI's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import literal, or_, select
from starlette.concurrency import run_in_threadpool

from notifications import delivery
from notifications.disclosure import withheld_reason
from workflow.commands.repair import event_status, retry_deadline, retry_event
from workflow.definition.directory import find_person
from workflow.definition.entitlement import PERSONAL
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.errors import CycleError, RoleMissing
from workflow.reads import health as health_check
from workflow.store.models import Cycle, Deadline, Mail, OutboxEvent

from ..problems import status_of
from ..records import RowId
from .render import done, render
from .viewer import Viewer, admin_only, viewer
from .words import cycle_title, person_title

router = APIRouter(include_in_schema=False)
LIMIT = 100  # rows per table; the command line lists everything
DOING = "sees and retries the installation's waiting and failed work"
KINDS = {"timed_transition": "Timed step", "strand_trigger": "Strand step", "stage_overdue": "Stage falls overdue",
         "reminder": "Reminder", "agenda_notice": "Agenda not yet issued"}


@dataclass(frozen=True)
class Line:
    """One row of a table: the database row and the words about it."""

    row: Any
    cycle: str
    cycle_title: str
    what: str
    status: str
    retry: bool


class Cycles:
    """Each cycle's key, title and definition version, read once per page: the cycles of all the rows listed in
    one query (at most three tables of LIMIT rows name them), not one a cycle."""

    def __init__(self, engine: Engine, session: Any, rows: Iterable[Any] = ()) -> None:
        self.engine, self.session = engine, session
        ids = {row.cycle_id for row in rows if row.cycle_id is not None}
        self._known: dict[int, tuple[Cycle, Definition]] = {
            cycle.id: (cycle, engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version))
            for cycle in session.scalars(select(Cycle).where(Cycle.id.in_(ids)))} if ids else {}

    def get(self, cycle_id: int) -> tuple[Cycle, Definition]:
        if cycle_id not in self._known:
            cycle = self.session.get(Cycle, cycle_id)
            assert cycle is not None  # every row names a cycle that exists (a foreign key)
            self._known[cycle_id] = (cycle, self.engine.catalog.snapshot(self.session, cycle.definition_id,
                                                                          cycle.definition_version))
        return self._known[cycle_id]


def gather(engine: Engine, email: str) -> dict[str, Any]:
    now = engine.clock.now()
    with engine.sessions() as session:
        unsent = list(session.scalars(select(Mail).where(Mail.status != literal("sent", literal_execute=True))  # ix_mail_unsent.order_by(Mail.next_attempt_at)
                                      .limit(LIMIT)))
        due = list(session.scalars(select(Deadline).where(or_(Deadline.status == "failed",
                                                              (Deadline.status == "pending") & (Deadline.due_at <= now)))
                                   .order_by(Deadline.due_at).limit(LIMIT)))
        pending = list(session.scalars(select(OutboxEvent).where(OutboxEvent.handled_at.is_(None))
                                       .order_by(OutboxEvent.created_at).limit(LIMIT)))
        cycles = Cycles(engine, session, [*unsent, *due, *pending])

        def line(row: Any, what: str, status: str, retry: bool) -> Line:
            cycle, definition = cycles.get(row.cycle_id)
            return Line(row, cycle.key, cycle_title(definition, cycle.year, cycle.key), what, status, retry)

        mail = []
        for row in unsent:
            if row.cycle_id is None:
                mail.append(Line(row, "", "", f"Sign-in link to {row.recipient}", row.status, False))
                continue
            definition = cycles.get(row.cycle_id)[1]
            person = find_person(definition, email)
            withheld = withheld_reason(engine, session, row, person.id if person else None, definition)
            carrying = "a case's personal data (withheld)" if withheld == PERSONAL else "exempt information"
            what = (f"{row.subject} – to {person_title(definition, row.person)}" if withheld is None
                    else f"Email carrying {carrying} – to {person_title(definition, row.person)}")
            mail.append(line(row, what, row.status, row.status in ("failed", "uncertain", "retrying")))
        deadlines = [line(d, _deadline_words(d, cycles.get(d.cycle_id)[1]), d.status, d.status == "failed")
                     for d in due]
        events = [line(e, _event_words(e.event_type), event_status(e), e.failed_at is not None) for e in pending]
    return {"health": health_check.check(engine), "mail": mail, "deadlines": deadlines, "events": events}


def _event_words(event_type: str) -> str:
    """'StageEntered' as 'Stage entered'."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", event_type).capitalize()


def _deadline_words(row: Deadline, definition: Definition) -> str:
    kind = KINDS.get(row.kind, row.kind)
    stage = definition.stages.get(row.stage)
    subject = row.trigger or (row.data or {}).get("rule") or ""
    if row.trigger:
        titled = next((t.title for t in definition.transitions if t.trigger == row.trigger and t.title), "")
        subject = titled or subject
    at = stage.title if stage else row.stage
    return f"{kind}: {subject} ({at})" if subject else f"{kind} ({at})"


def show(request: Request, seen: Viewer, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    admin_only(seen, DOING)
    return render(request, "operations.html", status=status, title="Operations", section="/operations",
                  errors=errors or {}, heartbeat=health_check.Thresholds().heartbeat,
                  **gather(request.app.state.cycle.engine, seen.email))


@router.get("/operations")
async def operations_page(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(show, request, seen)


def _as_person(engine: Engine, table: Any, row_id: int, email: str) -> str:
    """The admin's id in the directory of the row's cycle; refused when that directory does not list them."""
    with engine.sessions() as session:
        row = session.get(table, row_id)
        cycle_id = getattr(row, "cycle_id", None) if row is not None else None
        if cycle_id is None:
            return email  # the retry itself says what is missing
        definition = Cycles(engine, session, [row]).get(cycle_id)[1]
    person = find_person(definition, email)
    if person is None:
        raise RoleMissing(f"{email} is not in the directory of '{definition.id}', so cannot retry its work")
    return person.id


Retry = Callable[[Engine, int, str], object]
RETRIES: dict[str, tuple[type, Retry, str]] = {
    "mail": (Mail, delivery.retry_as, "Email {} is queued again"),
    "deadlines": (Deadline, retry_deadline, "Deadline {} is pending again: the next sweep acts on it"),
    "events": (OutboxEvent, retry_event, "Event {} is back in the outbox"),
}


def retry_now(request: Request, seen: Viewer, what: str, row_id: RowId) -> Response:
    admin_only(seen, DOING)
    table, action, notice = RETRIES[what]
    engine = request.app.state.cycle.engine
    try:
        action(engine, row_id, _as_person(engine, table, row_id, seen.email))
    except CycleError as exc:
        return show(request, seen, errors={f"retry-{what}-{row_id}": str(exc)}, status=status_of(exc))
    return done("/operations", notice.format(row_id))


@router.post("/operations/{what}/{row_id}/retry")
async def retry(request: Request, seen: Annotated[Viewer, Depends(viewer)], what: str, row_id: RowId) -> Response:
    if what not in RETRIES:
        return await run_in_threadpool(show, request, seen, errors={"retry": f"there is nothing called '{what}' to retry"},
                                       status=404)
    return await run_in_threadpool(retry_now, request, seen, what, row_id)
