"""A moved or cancelled meeting: every member is sent the update (or the cancellation) for their calendar.

The MeetingChanged handler sends each member of the board an email in the words of
the definition's `meeting_changed` templates, carrying the invitation with the same
UID and a higher SEQUENCE (METHOD:CANCEL when cancelled), once per change and member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.model import Board, Definition, Meeting
from workflow.definition.notice_templates import MEETING_CHANGED, notice_files
from workflow.definition.templating import make_environment
from workflow.engine import Engine
from workflow.store.models import Cycle, Mail, OutboxEvent

from .calendar_invite import meeting_invite
from .links import MY_WORK, Links, context_links, with_links
from .reminders import inline_css, meeting_context, message_id, one_line, person_context

MEETING = "meeting"


def notice_context(definition: Definition, cycle: Cycle, board: Board, person: str, moved: Meeting, day: dt.date,
                   payload: dict[str, Any], links: Links | None = None) -> dict[str, Any]:
    """What the `meeting_changed` templates are given: `workflow.definition.notice_templates.MEETING_CHANGED_CONTEXT`."""
    return {
        "cycle": {"title": definition.title, "key": cycle.key, "year": cycle.year},
        "board": {"name": board.name},
        "recipient": person_context(definition, person),
        "meeting": meeting_context(moved, day),
        "change": {"cancelled": bool(payload["cancelled"]), "reason": payload.get("reason", ""),
                   "sequence": payload["sequence"]},
        "links": context_links(links or Links()),
    }


def notify_action(engine: Engine, domain: str, links: Links | None = None
                  ) -> Callable[[Session, OutboxEvent, dt.datetime], None]:
    """The MeetingChanged handler; its emails lead to My work (`links`)."""

    def notify(session: Session, event: OutboxEvent, now: dt.datetime) -> None:
        cycle = session.get(Cycle, event.cycle_id)
        if cycle is None:
            return
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        folder = engine.catalog.templates_for_snapshot(definition)
        names = notice_files(folder, MEETING_CHANGED)
        if names is None:
            return
        payload = event.payload
        meeting = definition.meetings[payload["meeting"]]
        moved = replace(meeting, start=dt.time.fromisoformat(payload["start"]) if payload["start"] else None)
        day = dt.date.fromisoformat(payload["date"])
        invite = meeting_invite(definition, cycle.key, moved, day, now, sequence=payload["sequence"],
                                cancelled=payload["cancelled"])
        env = make_environment(folder)
        board = definition.boards[meeting.board]
        for person, _ in board.members:
            key = f"{MEETING}:{event.id}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            ctx = notice_context(definition, cycle, board, person, moved, day, payload, links)
            subject, text, html = (env.get_template(name).render(**ctx) for name in names)
            text, html = with_links(text, html, [(MY_WORK, ctx["links"]["my_work"])])
            session.add(Mail(key=key, cycle_id=cycle.id, kind=MEETING, person=person,
                             recipient=definition.people[person].email, subject=one_line(subject), text_body=text,
                             html_body=inline_css(html), attachments={"invite": invite},
                             message_id=message_id(key, domain), dated=now, status="pending", attempts=0,
                             next_attempt_at=now, created_at=now))

    return notify
