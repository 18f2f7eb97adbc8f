"""Reminders: who gets each one, and what it says (when it goes: `workflow.time.reminder_times`).

Entering a stage plans its reminders as deadline rows (before the due date,
on the day, and while overdue, with escalation); the sweep turns a due one
into one mail row per recipient, rendered at that moment. The preview walks
the same rules over the cycle's remaining stages, assuming each is completed
on its due date, so an admin sees every reminder before the cycle starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import css_inline
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.case_fields import values_of
from workflow.definition.calendar import Timeline, working_days_between
from workflow.definition.entitlement import (
    PERSONAL_MAIL,
    considering_stages,
    declares_personal,
    may_see_paper_at,
    may_see_personal,
)
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, Meeting, ReminderRule, Stage
from workflow.definition.templating import (
    NO_LINKS,
    make_environment,
    reminder_files,
    render_bounded,
)
from workflow.engine import Engine
from workflow.reads.case_data import template_fields
from workflow.store.models import Cycle, Deadline, Mail, OutboxEvent, Paper
from workflow.time.actuals import MeetingChange, changes, timeline_of
from workflow.time.clock import at_local, local_date
from workflow.time.deadlines import end_of_day, entered_stage, insert_pending
from workflow.time.reminder_times import (
    REMINDER,
    REMINDER_HOUR,
    Occurrence,
    escalated,
    first_occurrences,
    overdue,
    reminder_rows,
)

from . import outside, outside_invites
from .calendar_invite import meeting_invite, meeting_times
from .links import MY_WORK, Links, actions, context_links, with_links
from .recipients import resolve


def recipients_for(definition: Definition, stage: Stage, rule: ReminderRule, occurrence: Occurrence) -> list[str]:
    specs = rule.recipients
    if occurrence.kind in ("overdue", "escalation"):
        specs = specs + escalated(rule, occurrence.n)
    return resolve(definition, stage, specs)


def stage_meeting(definition: Definition, stage: Stage, due: dt.date, timeline: Timeline) -> Meeting | None:
    for meeting in definition.meetings.values():
        if meeting.board == stage.board and timeline.milestone(meeting.id) == due:
            return meeting
    return None


def meeting_context(meeting: Meeting, day: dt.date) -> dict[str, Any]:
    """Where and when a board meets, as data: the templates say it in words."""
    times = meeting_times(meeting, day)
    return {"title": meeting.title, "date": day.isoformat(), "date_text": long_date(day),
            "start": f"{times[0]:%H:%M}" if times else "", "end": f"{times[1]:%H:%M}" if times else "",
            "venue": meeting.venue, "remote_link": meeting.remote_link}


def person_context(definition: Definition, person: str | None) -> dict[str, str]:
    who = definition.people.get(person) if person else None
    if who is None:
        return {"person": "", "name": "", "title": "", "email": ""}
    return {"person": who.id, "name": who.name, "title": who.title, "email": who.email}


def context(definition: Definition, cycle_key: str, year: int, stage: Stage, rule: ReminderRule,
            occurrence: Occurrence, person: str, papers: list[dict[str, Any]], timeline: Timeline,
            change: MeetingChange | None = None, links: dict[str, Any] | None = None,
            fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template context; its shape is `workflow.definition.templating.REMINDER_CONTEXT`.

    `change` is the meeting's latest move or cancellation, if a committee manager made one; `links` the
    addresses the email leads to (`notifications.links.context_links`), none when the site's is unset.
    """
    due = timeline.milestone(stage.id)
    today = local_date(occurrence.when)
    owner = next((p for p in definition.people.values() if stage.owner and stage.owner in p.roles), None)
    meeting = stage_meeting(definition, stage, due, timeline)
    step = next(iter(definition.transitions_from(stage.id)), None)
    board = definition.boards[stage.board] if stage.board else None
    return {
        "cycle": {"title": definition.title, "key": cycle_key, "year": year,
                  "owner_title": owner.title if owner else "", "owner_name": owner.name if owner else ""},
        "stage": {"id": stage.id, "title": stage.title,
                  "next_step": (step.title or step.trigger) if step else ""},
        "board": {"name": board.name if board else ""},
        "due": {"date": due.isoformat(), "date_text": long_date(due),
                "working_days_left": max(working_days_between(today, due), 0),
                "working_days_overdue": max(working_days_between(due, today), 0)},
        "reminder": {"kind": occurrence.kind, "overdue": occurrence.kind in ("overdue", "escalation"),
                     "escalated": bool(escalated(rule, occurrence.n)) and occurrence.kind != "before",
                     "rule": rule.id},
        "recipient": {**person_context(definition, person),
                      "voting": bool(board and person in board.voting),
                      "member": bool(board and any(p == person for p, _ in board.members))},
        "papers": papers,
        "meeting": None if meeting is None or (change and change.cancelled) else
        meeting_context(replace(meeting, start=change.start), change.day) if change else meeting_context(meeting, due),
        "links": links or NO_LINKS,
        # Every declared field ("" unset); personal ones "(withheld)" unless the recipient is entitled to the case.
        "fields": fields if fields is not None else dict.fromkeys(definition.fields, ""),
    }


def one_line(text: str) -> str:
    """A header is one line: whatever a template or a name contains, CR and LF do not survive."""
    return " ".join(text.split())


class Renderer:
    def __init__(self, templates_dir: Any) -> None:
        self.env = make_environment(templates_dir)

    def render(self, rule: ReminderRule, ctx: dict[str, Any]) -> tuple[str, str, str]:
        subject, text, html = (render_bounded(self.env, name, ctx) for name in reminder_files(rule.template))
        return one_line(subject), text, inline_css(html)


def inline_css(html: str) -> str:
    """The template's <style> moved into style attributes: Gmail and Outlook drop <style> blocks."""
    return str(css_inline.inline(html, keep_style_tags=False))


def message_id(key: str, domain: str = "strategy-cycle.invalid") -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


# -- planning and sending -------------------------------------------------------------


def plan(engine: Engine, session: Session, event: OutboxEvent, now: dt.datetime) -> None:
    """The StageEntered handler: a deadline row for every first occurrence of the stage's reminders."""
    entered = entered_stage(engine, session, event)
    if entered is None:
        return
    cycle, definition, stage = entered
    due = timeline_of(session, cycle, definition).stage_due(stage.id)
    if due is None:
        return
    occurrences = [occurrence for rule_id in stage.reminders
                   for occurrence in first_occurrences(definition.reminders[rule_id], due, event.created_at)]
    insert_pending(engine, session, reminder_rows(cycle.id, stage.id, event.id, occurrences, now))


def latest_papers(rows: Iterable[Paper]) -> list[Paper]:
    """The latest copy of each paper, rows in attachment order: a public paper and an exempt annex under
    one paper id are two papers, each kept; a later copy of either replaces only its own kind."""
    latest: dict[tuple[str, bool], Paper] = {}
    for row in rows:
        latest[(row.paper, row.exempt)] = row
    return sorted(latest.values(), key=lambda p: p.id)


def considered_at(session: Session, cycle: Cycle, definition: Definition, stage: str) -> list[Paper]:
    """Every copy of the papers this stage's decision considers, in attachment order: those attached for it,
    and those attached for an earlier stage under a paper id it names (`entitlement.considering_stages`)."""
    rows = session.scalars(select(Paper).where(Paper.cycle_id == cycle.id).order_by(Paper.id)).all()
    return [row for row in rows if stage in considering_stages(definition, row.paper, row.stage)]


def papers_for(session: Session, cycle: Cycle, definition: Definition, stage: Stage, person: str) -> list[dict[str, Any]]:
    """The papers this stage's decision considers (the latest copy of each) that this person may see."""
    rows = considered_at(session, cycle, definition, stage.id)
    return [{"title": row.title, "sha256": row.sha256, "filename": row.filename, "paper_id": row.id}
            for row in latest_papers(rows) if may_see_paper_at(definition, row, stage.id, person)]


def footer_links(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    """What a reminder links to, as (words, url): the forms to act in, its papers, My work."""
    return ([(a["text"], a["url"]) for a in ctx["links"]["actions"]]
            + [(f"Open the paper \u201c{p['title']}\u201d", p.get("url", "")) for p in ctx["papers"]]
            + [(MY_WORK, ctx["links"]["my_work"])])


def send_action(engine: Engine, domain: str, links: Links | None = None
                ) -> Callable[[Session, Deadline, Cycle, dt.datetime], str]:
    """The sweep's action for a due reminder: one rendered mail row per recipient, leading to `links`."""
    site = links or Links()

    def act(session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        stage = definition.stages[row.stage]
        rule = definition.reminders[row.data["rule"]]
        occurrence = Occurrence(rule.id, row.data["kind"], row.data["n"], row.due_at)
        timeline = timeline_of(session, cycle, definition)
        due = timeline.milestone(stage.id)
        renderer = Renderer(engine.catalog.templates_for_snapshot(definition))
        meeting = stage_meeting(definition, stage, due, timeline)
        change = changes(session, cycle.id).get(meeting.id) if meeting else None
        attached = set(session.scalars(select(Paper.paper).where(Paper.cycle_id == cycle.id)))
        values = values_of(session, cycle.id) if definition.fields else {}
        for person in recipients_for(definition, stage, rule, occurrence):
            key = f"{row.key}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            papers = papers_for(session, cycle, definition, stage, person)
            found = actions(site, definition, cycle.key, stage, person, attached)
            ctx = context(definition, cycle.key, cycle.year, stage, rule, occurrence, person,
                          [{**{k: v for k, v in p.items() if k != "paper_id"}, "url": site.paper(p["paper_id"])}
                           for p in papers], timeline, change, context_links(site, found),
                          template_fields(definition, values, may_see_personal(definition, person)))
            subject, text, html = renderer.render(rule, ctx)
            text, html = with_links(text, html, footer_links(ctx))
            attachments: dict[str, Any] = {"papers": [p["paper_id"] for p in papers]}
            if declares_personal(definition):  # True: its addressee reads it only while entitled (`may_see_mail`),
                attachments[PERSONAL_MAIL] = may_see_personal(definition, person)  # and retention erases it
            if meeting is not None and change is not None and not change.cancelled:
                attachments["invite"] = meeting_invite(definition, cycle.key, replace(meeting, start=change.start),
                                                       change.day, now, sequence=change.sequence)
            elif meeting is not None and change is None:
                attachments["invite"] = meeting_invite(definition, cycle.key, meeting, due, now)
            session.add(Mail(key=key, cycle_id=cycle.id, kind=REMINDER, person=person,
                             recipient=definition.people[person].email, subject=subject, text_body=text,
                             html_body=html, attachments=attachments, message_id=message_id(key, domain),
                             dated=row.due_at, status="pending", attempts=0, next_attempt_at=now,
                             created_at=now))
        if meeting is not None and not (change is not None and change.cancelled):
            moved = replace(meeting, start=change.start) if change is not None else meeting
            outside_invites.invite(session, cycle, definition, moved, change.day if change is not None else due, now,
                                   lambda key: message_id(key, domain),
                                   sequence=change.sequence if change is not None else 0)
        outside.write(session, engine.papers, cycle, definition, rule, row.key, row.due_at, now,
                      lambda to, personal: renderer.render(rule, {
                          **context(definition, cycle.key, cycle.year, stage, rule, occurrence, "", [], timeline,
                                    fields=template_fields(definition, values, personal)),
                          "recipient": to, "meeting": None}),
                      lambda key: message_id(key, domain))  # contacts outside the directory: what is theirs only
        if occurrence.kind == "overdue" and rule.overdue_every:
            insert_pending(engine, session, reminder_rows(cycle.id, stage.id, row.entry,
                                                          [overdue(rule, due, occurrence.n + rule.overdue_every)], now))
        return "done"

    return act


# -- preview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    when: dt.datetime
    person: str
    email: str
    subject: str
    stage: str
    rule: str
    kind: str
    n: int = 0
    if_late: bool = False
    """An overdue or escalation reminder: planned on entry, sent only if the stage is not done by then."""
    expected: bool = False
    """Dated from an event still to come ('... entered', '... fired'): planned from when it is expected."""


def way_forward(definition: Definition, stage: str) -> str | None:
    options = definition.transitions_from(stage)
    if not options:
        return None
    order = list(definition.stages)
    return max(options, key=lambda t: order.index(t.dest)).dest


def planned_for(definition: Definition, cycle_key: str, year: int, stage: Stage, occurrence: Occurrence,
                timeline: Timeline, renderer: Renderer) -> list[tuple[Planned, dict[str, Any]]]:
    """One entry for each recipient of an occurrence, with the context it renders with."""
    rule = definition.reminders[occurrence.rule]
    expected = timeline.expected(stage.id)
    found: list[tuple[Planned, dict[str, Any]]] = []
    for person in recipients_for(definition, stage, rule, occurrence):
        ctx = context(definition, cycle_key, year, stage, rule, occurrence, person, [], timeline)
        subject = renderer.render(rule, ctx)[0]
        found.append((Planned(occurrence.when, person, definition.people[person].email, subject, stage.id,
                              rule.id, occurrence.kind, occurrence.n,
                              occurrence.kind in ("overdue", "escalation"), expected), ctx))
    return found


def preview(definition: Definition, cycle_key: str, year: int, stage_id: str, entered: dt.datetime,
            templates_dir: Any, *, until: dt.date | None = None, if_late: bool = False,
            timeline: Timeline | None = None,
            current: list[Occurrence] | None = None) -> list[tuple[Planned, dict[str, Any]]]:
    """Every reminder the cycle will plan from `stage_id` on, if each stage completes on its due date.

    Each stage's reminders are the ones its StageEntered handler plans (`plan`), on `timeline` (a running
    cycle's, with what it knows of its own dates). `current`: the occurrences planned already for
    `stage_id` (a running cycle's pending rows), used instead of planning it afresh. Overdue and
    escalation reminders, planned on entry but sent only if the stage runs late, are left out unless
    `if_late`. Each entry carries the context it would render with, so one can be shown in full.
    """
    timeline = timeline or Timeline(definition, year)
    renderer = Renderer(templates_dir)
    planned: list[tuple[Planned, dict[str, Any]]] = []
    at: str | None = stage_id
    while at is not None and not definition.stages[at].final:
        stage = definition.stages[at]
        due = timeline.stage_due(at)
        if due is not None:
            occurrences = current if current is not None and at == stage_id else [
                o for rule_id in stage.reminders for o in first_occurrences(definition.reminders[rule_id], due, entered)]
            for occurrence in occurrences:
                planned += planned_for(definition, cycle_key, year, stage, occurrence, timeline, renderer)
        step = next((t for t in definition.transitions_from(at) if t.dest == way_forward(definition, at)), None)
        if step is not None and step.at is not None:
            entered = end_of_day(timeline.resolve(step.at))
        elif due is not None:
            # The player (and an officer on time) moves on at ten on the due day, after its nine o'clock reminders.
            entered = max(entered, at_local(due, REMINDER_HOUR + 1))
        at = step.dest if step else None
    if not if_late:
        # A running cycle's own stage keeps its pending overdue reminders: they go unless it is done first.
        planned = [item for item in planned if not item[0].if_late or (current is not None and item[0].stage == stage_id)]
    planned.sort(key=lambda item: (item[0].when, item[0].stage, item[0].rule, item[0].person))
    if until is not None:
        planned = [item for item in planned if local_date(item[0].when) <= until]
    return planned


def preview_year(definition: Definition, year: int, templates_dir: Any, *,
                 if_late: bool = False) -> list[tuple[Planned, dict[str, Any]]]:
    """Every reminder a cycle of `year` would send from its start, on schedule: a definition's preview."""
    entered = at_local(dt.date(year, definition.starts_in, 1), 9)
    return preview(definition, f"{definition.id}-{year}", year, definition.initial, entered, templates_dir,
                   if_late=if_late)
