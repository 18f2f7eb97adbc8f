"""Papers published: a paper goes to the members of each board that decides on it, before that board meets.

Reminders carry the papers attached by their date; a paper attached after the last
reminder would otherwise reach members only at the meeting. The PaperAttached
handler sends it to every member of the stage's board who may see it (the one
entitlement rule), once per paper and member (the mail key), in the words of the
definition's `papers_published` templates (`workflow.definition.notice_templates`). A definition without them sends nothing.
A later stage that names the paper (`entitlement.considering_stages`) gets it when the cycle enters that stage
(the StageEntered handler `carry_action`), as its own board's meeting paper: see docs/definitions.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.calendar import working_days_between
from workflow.definition.entitlement import may_see_paper_at
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, Meeting, Stage
from workflow.definition.notice_templates import PAPERS_PUBLISHED, notice_files
from workflow.definition.templating import make_environment
from workflow.engine import Engine
from workflow.store.models import Cycle, Mail, OutboxEvent, Paper
from workflow.time.actuals import changes, timeline_of
from workflow.time.clock import local_date
from workflow.time.deadlines import entered_stage

from .calendar_invite import meeting_times
from .links import MY_WORK, Links, context_links, with_links
from .reminders import (
    considered_at,
    inline_css,
    latest_papers,
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
    """The PaperAttached handler: the paper goes to the board of the stage it was attached for; its emails lead
    to the paper's page and My work (`links`)."""

    def publish(session: Session, event: OutboxEvent, now: dt.datetime) -> None:
        cycle = session.get(Cycle, event.cycle_id)
        paper = session.get(Paper, event.payload.get("paper_id"))
        if cycle is None or paper is None:
            return
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        stage = definition.stages.get(paper.stage or "")
        if stage is not None:
            send_for_stage(engine, session, cycle, definition, stage, [paper], now, domain, links, own=True)

    return publish


def carry_action(engine: Engine, domain: str, links: Links | None = None
                 ) -> Callable[[Session, OutboxEvent, dt.datetime], None]:
    """The StageEntered handler: the papers attached for an earlier stage that this stage names go to its board.

    A board that decides later on a paper attached for an earlier board (Safer MK in September on the strategic
    assessment the Risk Board signed off in August) gets it as its own meeting's paper when the cycle reaches its
    stage: the copy as the earlier board left it, not a draft months ahead. Only the latest copy of each is sent;
    every copy stays on the board's pages. Papers attached for the stage itself went when they were attached.
    """

    def carry(session: Session, event: OutboxEvent, now: dt.datetime) -> None:
        entered = entered_stage(engine, session, event)
        if entered is None:
            return  # the cycle has left the stage: its board has met
        cycle, definition, stage = entered
        earlier = [row for row in considered_at(session, cycle, definition, stage.id) if row.stage != stage.id]
        send_for_stage(engine, session, cycle, definition, stage, latest_papers(earlier), now, domain, links,
                       own=False)

    return carry


def send_for_stage(engine: Engine, session: Session, cycle: Cycle, definition: Definition, stage: Stage,
                   papers: list[Paper], now: dt.datetime, domain: str, links: Links | None, *, own: bool) -> None:
    """Each paper to each member of the stage's board who may see it as this stage's business
    (`entitlement.may_see_paper_at`), if the board has still to meet.

    Once per paper and member (the mail key; a paper carried to a later board is keyed by that stage too).
    """
    folder = engine.catalog.templates_for_snapshot(definition)
    names = notice_files(folder, PAPERS_PUBLISHED)
    if not papers or not stage.board or names is None:
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
    for paper in papers:
        for person, _ in board.members:
            if not may_see_paper_at(definition, paper, stage.id, person):
                continue
            key = f"{PUBLISHED}:{paper.id}:{person}" if own else f"{PUBLISHED}:{paper.id}:{stage.id}:{person}"
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
