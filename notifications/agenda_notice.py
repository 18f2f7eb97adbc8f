"""The committee manager's warning that a board meeting's agenda is not yet issued, N+2 working days before the
meeting (N: the board's notice period in clear working days; the deadline itself is N+1 working days before).

Planned on StageEntered, for a stage signed off at a board meeting (and again on MeetingChanged, for its new day), as one deadline row per meeting
(key `agenda_notice:<board>:<day>`, whichever cycle plans it first), so the sweep sends one email however many
cycles bring business to that meeting, and a redelivered event or a second sweep sends nothing more (the mail
row's key is the deadline's and the addressee's). When it is due: nothing if the agenda was issued, or if the
meeting moved or was cancelled since; otherwise one email to the board's committee manager (its `organiser`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.commands.agenda_build import build, issue_by
from workflow.definition.calendar import add_working_days
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, MilestoneDate, Stage
from workflow.engine import Engine
from workflow.errors import NotFound
from workflow.store.models import Cycle, Deadline, Mail, OutboxEvent
from workflow.store.unit import cycle_for_writing
from workflow.time.actuals import timeline_of
from workflow.time.clock import at_local
from workflow.time.deadlines import entered_stage, insert_pending, pending_row
from workflow.time.reminder_times import REMINDER_HOUR

from .links import Links
from .reminders import message_id

AGENDA_NOTICE = "agenda_notice"
"""The deadline's kind and the mail's."""


def warning_day(day: dt.date, notice: int) -> dt.date:
    """N+2 working days before the meeting: the working day before the last day to issue."""
    return add_working_days(day, -(notice + 2))


def plan(engine: Engine, session: Session, event: OutboxEvent, now: dt.datetime) -> None:
    """The StageEntered handler: the warning's deadline row for the meeting the stage is signed off at, if any."""
    entered = entered_stage(engine, session, event)
    if entered is None:
        return
    cycle, definition, stage = entered
    _plan(engine, session, cycle, definition, stage, event.id, now)


def plan_moved(engine: Engine, session: Session, event: OutboxEvent, now: dt.datetime) -> None:
    """The MeetingChanged handler: a warning for the meeting's new day, if the current stage is signed off at it
    (the old day's row finds no meeting then, and sends nothing)."""
    cycle = cycle_for_writing(session, event.cycle_id)
    if cycle is None or cycle.status != "active" or event.payload.get("cancelled"):
        return
    definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
    stage = definition.stages[cycle.state]
    entry = session.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.cycle_id == cycle.id,
                                                                  OutboxEvent.event_type == "StageEntered"))
    if entry is not None and stage.due == MilestoneDate(event.payload.get("meeting", "")):
        _plan(engine, session, cycle, definition, stage, entry, now)


def _plan(engine: Engine, session: Session, cycle: Cycle, definition: Definition, stage: Stage, entry: int,
          now: dt.datetime) -> None:
    if stage.board is None or not isinstance(stage.due, MilestoneDate) or stage.due.milestone not in \
            definition.meetings:
        return
    day = timeline_of(session, cycle, definition).milestone(stage.due.milestone)
    notice = definition.boards[stage.board].agenda.notice
    insert_pending(engine, session, [pending_row(
        key=f"{AGENDA_NOTICE}:{stage.board}:{day.isoformat()}", cycle_id=cycle.id, stage=stage.id, strand=None,
        kind=AGENDA_NOTICE, trigger=None, entry=entry, due_at=at_local(warning_day(day, notice), REMINDER_HOUR),
        now=now, data={"board": stage.board, "day": day.isoformat()})])


def send_action(engine: Engine, domain: str, links: Links | None = None
                ) -> Callable[[Session, Deadline, Cycle, dt.datetime], str]:
    """The sweep's action: one email to the committee manager unless the agenda is issued or the meeting gone."""
    site = links or Links()

    def act(session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        board, day = row.data["board"], dt.date.fromisoformat(row.data["day"])
        try:
            built = build(session, engine, board, day)
        except NotFound:
            row.last_error = "the meeting moved or was cancelled"
            return "skipped"
        if built.issues:
            return "skipped"
        home = built.meeting.home
        manager = home.people.get(home.boards[board].organiser or "")
        if manager is None:
            row.last_error = "the board names no committee manager (organiser)"
            return "skipped"
        key = f"{row.key}:{manager.id}"
        if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
            return "done"
        deadline = issue_by(day, home.boards[board].agenda.notice)
        title = built.meeting.meeting.title
        subject = f"Agenda of the {title} not yet issued: issue it by {long_date(deadline)}"
        address = f"/boards/{board}/meetings/{day.isoformat()}/agenda"
        url = site.url(address)
        lines = [f"Dear {manager.name or manager.title},", "",
                 f"The agenda of the {title} on {long_date(day)} has not been issued yet. To give members "
                 f"{home.boards[board].agenda.notice} clear working days' notice, issue it by {long_date(deadline)}.",
                 "", f"Check and issue it: {url}" if url else f"Check and issue it: cycle agenda issue {board} "
                 f"{day.isoformat()}"]
        text = "\n".join(lines) + "\n"
        html = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
        session.add(Mail(key=key, cycle_id=cycle.id, kind=AGENDA_NOTICE, person=manager.id, recipient=manager.email,
                         subject=subject, text_body=text, html_body=html, attachments={},
                         message_id=message_id(key, domain), dated=row.due_at, status="pending", attempts=0,
                         next_attempt_at=now, created_at=now))
        return "done"

    return act
