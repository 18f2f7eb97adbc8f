"""Papers published: a paper attached for a stage whose board has still to meet goes to its members at once.

Reminders carry the papers attached by their date; a paper attached after the last
reminder would otherwise reach members only at the meeting. The PaperAttached
handler sends it to every member of the stage's board who may see it (the one
entitlement rule), once per paper and member (the mail key), in the words of the
definition's `papers_published` templates (`workflow.definition.notice_templates`). A definition without them sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.calendar import working_days_between
from workflow.definition.entitlement import may_see_paper
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, Meeting, Stage
from workflow.definition.notice_templates import PAPERS_PUBLISHED, notice_files
from workflow.definition.templating import make_environment
from workflow.engine import Engine
from workflow.store.models import Cycle, Mail, OutboxEvent, Paper
from workflow.time.actuals import changes, timeline_of
from workflow.time.clock import local_date

from .calendar_invite import meeting_times
from .links import MY_WORK, Links, context_links, with_links
from .reminders import (
    inline_css,
    meeting_context,
    message_id,
    one_line,
    person_context,
    stage_meeting,
)

PUBLISHED = "papers"


def notice_context(definition: Definition, cycle: Cycle, stage: Stage, person: str, paper: Paper,
                   meeting: Meeting, due: dt.date, today: dt.date, links: Links | None = None) -> dict[str, Any]:
    """What the `papers_published` templates are given: `workflow.definition.notice_templates.PAPERS_PUBLISHED_CONTEXT`."""
    site = links or Links()
    board = definition.boards[stage.board or ""]
    return {
        "cycle": {"title": definition.title, "key": cycle.key, "year": cycle.year},
        "stage": {"id": stage.id, "title": stage.title},
        "board": {"name": board.name},
        "due": {"date": due.isoformat(), "date_text": long_date(due),
                "working_days_left": max(working_days_between(today, due), 0)},
        "recipient": {**person_context(definition, person), "voting": person in board.voting},
        "paper": {"title": paper.title, "sha256": paper.sha256, "filename": paper.filename, "exempt": paper.exempt,
                  "url": site.paper(paper.id) if paper.id is not None else ""},
        "meeting": meeting_context(meeting, due),
        "links": context_links(site),
    }


def publish_action(engine: Engine, domain: str, links: Links | None = None
                   ) -> Callable[[Session, OutboxEvent, dt.datetime], None]:
    """The PaperAttached handler; its emails lead to the paper's page and My work (`links`)."""

    def publish(session: Session, event: OutboxEvent, now: dt.datetime) -> None:
        cycle = session.get(Cycle, event.cycle_id)
        paper = session.get(Paper, event.payload.get("paper_id"))
        if cycle is None or paper is None:
            return
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        stage = definition.stages.get(paper.stage or "")
        folder = engine.catalog.templates_for_snapshot(definition)
        names = notice_files(folder, PAPERS_PUBLISHED)
        if stage is None or not stage.board or names is None:
            return
        timeline = timeline_of(session, cycle, definition)  # on the day a moved meeting moved to
        due = timeline.stage_due(stage.id)
        meeting = stage_meeting(definition, stage, due, timeline) if due else None
        if due is None or meeting is None:
            return
        change = changes(session, cycle.id).get(meeting.id)
        meeting = replace(meeting, start=change.start) if change else meeting
        times = meeting_times(meeting, due)
        if (times[0] if times else dt.datetime.combine(due, dt.time(23, 59), tzinfo=dt.UTC)) <= now:
            return  # the board has met: the record, not this, tells members what it considered
        env = make_environment(folder)
        board = definition.boards[stage.board]
        today = local_date(now)
        for person, _ in board.members:
            if not may_see_paper(definition, paper, person):
                continue
            key = f"{PUBLISHED}:{paper.id}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            ctx = notice_context(definition, cycle, stage, person, paper, meeting, due, today, links)
            subject, text, html = (env.get_template(name).render(**ctx) for name in names)
            text, html = with_links(text, html, [(f"Open the paper \u201c{paper.title}\u201d", ctx["paper"]["url"]),
                                                 (MY_WORK, ctx["links"]["my_work"])])
            session.add(Mail(key=key, cycle_id=cycle.id, kind=PUBLISHED, person=person,
                             recipient=definition.people[person].email, subject=one_line(subject), text_body=text,
                             html_body=inline_css(html), attachments={"papers": [paper.id]},
                             message_id=message_id(key, domain), dated=now, status="pending", attempts=0,
                             next_attempt_at=now, created_at=now))

    return publish
