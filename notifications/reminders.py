"""Reminders: when each one is due, who gets it, and what it says.

Entering a stage plans its reminders as deadline rows (before the due date,
on the day, and while overdue, with escalation); the sweep turns a due one
into one mail row per recipient, rendered at that moment. The preview walks
the same rules over the cycle's remaining stages, assuming each is completed
on its due date, so an admin sees every reminder before the cycle starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.calendar import Timeline, add_working_days, working_days_between
from workflow.clock import at_local, local_date
from workflow.deadlines import end_of_day, entered_stage, insert_pending, pending_row
from workflow.definition import Definition, Meeting, PapersGate, ReminderRule, Stage
from workflow.engine import Engine
from workflow.models import Cycle, Deadline, Mail, OutboxEvent, Paper
from workflow.templating import make_environment, reminder_files, render_bounded

from .calendar_invite import meeting_invite
from .recipients import entitled_to_exempt, resolve

REMINDER = "reminder"
REMINDER_HOUR = 9  # reminders go out at nine in the morning, English time


@dataclass(frozen=True)
class Occurrence:
    rule: str
    kind: str  # before | due | overdue | escalation
    n: int  # working days before (before), or overdue (overdue, escalation)
    when: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.rule}:{self.kind}:{self.n}"


def escalated(rule: ReminderRule, overdue_days: int) -> tuple[str, ...]:
    return tuple(r for step in rule.escalate if step.after_working_days <= overdue_days for r in step.recipients)


def first_occurrences(rule: ReminderRule, due: dt.date, entered: dt.datetime) -> list[Occurrence]:
    """The occurrences planned when the stage is entered; later overdue ones are planned as each goes."""
    found = [Occurrence(rule.id, "before", n, at_local(add_working_days(due, -n), REMINDER_HOUR)) for n in rule.before]
    if rule.on_due:
        found.append(Occurrence(rule.id, "due", 0, at_local(due, REMINDER_HOUR)))
    if rule.overdue_every:
        found.append(overdue(rule, due, rule.overdue_every))
    for step in rule.escalate:
        # An escalation on a day an overdue reminder goes anyway rides along with it.
        if not rule.overdue_every or step.after_working_days % rule.overdue_every:
            found.append(Occurrence(rule.id, "escalation", step.after_working_days,
                                    at_local(add_working_days(due, step.after_working_days), REMINDER_HOUR)))
    # A stage entered late skips what was already due: a "10 days before" sent with 3 left misleads.
    return sorted((o for o in found if o.when >= entered), key=lambda o: (o.when, o.kind))


def overdue(rule: ReminderRule, due: dt.date, n: int) -> Occurrence:
    return Occurrence(rule.id, "overdue", n, at_local(add_working_days(due, n), REMINDER_HOUR))


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


def action_text(definition: Definition, stage: Stage, due: dt.date) -> str:
    step = next(iter(definition.transitions_from(stage.id)), None)
    what = step.title or step.trigger if step else stage.title
    if stage.board:
        board = definition.boards[stage.board].name
        return (f"{what}. Read the papers and come ready to decide at the {board} on {due:%A %-d %B %Y}; "
                f"the minutes will record each voting member's vote.")
    return f"{what}. Make sure this is complete by {due:%A %-d %B %Y}."


def context(definition: Definition, cycle_key: str, year: int, stage: Stage, rule: ReminderRule,
            occurrence: Occurrence, person: str, papers: list[dict[str, Any]], timeline: Timeline) -> dict[str, Any]:
    """The template context; its shape is `workflow.templating.REMINDER_CONTEXT`."""
    due = timeline.milestone(stage.id)
    today = local_date(occurrence.when)
    owner = next((p.title for p in definition.people.values() if stage.owner and stage.owner in p.roles), "")
    meeting = stage_meeting(definition, stage, due, timeline)
    who = definition.people[person]
    return {
        "cycle": {"title": definition.title, "key": cycle_key, "year": year, "owner_title": owner},
        "stage": {"id": stage.id, "title": stage.title},
        "board": {"name": definition.boards[stage.board].name if stage.board else ""},
        "due": {"date": due.isoformat(), "date_text": f"{due:%A %-d %B %Y}",
                "working_days_left": max(working_days_between(today, due), 0),
                "working_days_overdue": max(working_days_between(due, today), 0)},
        "reminder": {"kind": occurrence.kind, "overdue": occurrence.kind in ("overdue", "escalation"),
                     "escalated": bool(escalated(rule, occurrence.n)) and occurrence.kind != "before",
                     "rule": rule.id, "action": action_text(definition, stage, due)},
        "recipient": {"person": person, "title": who.title, "email": who.email},
        "papers": papers,
        "meeting": {"title": meeting.title, "date_text": f"{due:%A %-d %B %Y}"} if meeting else None,
    }


def one_line(text: str) -> str:
    """A header is one line: whatever a template or a name contains, CR and LF do not survive."""
    return " ".join(text.split())


class Renderer:
    def __init__(self, templates_dir: Any) -> None:
        self.env = make_environment(templates_dir)

    def render(self, rule: ReminderRule, ctx: dict[str, Any]) -> tuple[str, str, str]:
        subject, text, html = (render_bounded(self.env, name, ctx) for name in reminder_files(rule.template))
        return one_line(subject), text, html


def message_id(key: str, domain: str = "strategy-cycle.invalid") -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


# -- planning and sending -------------------------------------------------------------


def plan(engine: Engine, session: Session, event: OutboxEvent, now: dt.datetime) -> None:
    """The StageEntered handler: a deadline row for every first occurrence of the stage's reminders."""
    entered = entered_stage(engine, session, event)
    if entered is None:
        return
    cycle, definition, stage = entered
    due = Timeline(definition, cycle.year).stage_due(stage.id)
    if due is None:
        return
    occurrences = [occurrence for rule_id in stage.reminders
                   for occurrence in first_occurrences(definition.reminders[rule_id], due, event.created_at)]
    _add(session, cycle, stage.id, event.id, occurrences, now)


def _add(session: Session, cycle: Cycle, stage: str, entry: int, occurrences: Occurrence | list[Occurrence],
         now: dt.datetime) -> None:
    """A deadline row per occurrence, in one statement; an occurrence planned already (same key) is kept."""

    insert_pending(session, [
        pending_row(key=f"{entry}:{REMINDER}:{occurrence.label}", cycle_id=cycle.id, stage=stage, strand=None,
                    kind=REMINDER, trigger=None, entry=entry, due_at=occurrence.when, now=now,
                    data={"rule": occurrence.rule, "kind": occurrence.kind, "n": occurrence.n})
        for occurrence in (occurrences if isinstance(occurrences, list) else [occurrences])])


def papers_for(session: Session, cycle: Cycle, definition: Definition, stage: Stage, person: str) -> list[dict[str, Any]]:
    """The latest copy of each paper the stage's decision needs, that this person may receive."""
    wanted = [p for t in definition.transitions_from(stage.id) for g in t.gates if isinstance(g, PapersGate)
              for p in g.papers]
    rows = session.scalars(select(Paper).where(Paper.cycle_id == cycle.id, Paper.paper.in_(wanted))
                           .order_by(Paper.id)).all()
    latest = {row.paper: row for row in rows}
    entitled = entitled_to_exempt(definition, stage, person)
    return [{"title": row.title, "sha256": row.sha256, "filename": row.filename, "paper_id": row.id}
            for row in latest.values() if entitled or not row.exempt]


def send_action(engine: Engine, domain: str) -> Callable[[Session, Deadline, Cycle, dt.datetime], str]:
    """The sweep's action for a due reminder: one rendered mail row per recipient."""

    def act(session: Session, row: Deadline, cycle: Cycle, now: dt.datetime) -> str:
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        stage = definition.stages[row.stage]
        rule = definition.reminders[row.data["rule"]]
        occurrence = Occurrence(rule.id, row.data["kind"], row.data["n"], row.due_at)
        timeline = Timeline(definition, cycle.year)
        due = timeline.milestone(stage.id)
        renderer = Renderer(engine.catalog.templates_for_snapshot(definition))
        meeting = stage_meeting(definition, stage, due, timeline)
        for person in recipients_for(definition, stage, rule, occurrence):
            key = f"{row.key}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            papers = papers_for(session, cycle, definition, stage, person)
            ctx = context(definition, cycle.key, cycle.year, stage, rule, occurrence, person,
                          [{k: v for k, v in p.items() if k != "paper_id"} for p in papers], timeline)
            subject, text, html = renderer.render(rule, ctx)
            attachments: dict[str, Any] = {"papers": [p["paper_id"] for p in papers]}
            if meeting is not None:
                attachments["invite"] = meeting_invite(definition, cycle.key, meeting, due, now)
            session.add(Mail(key=key, cycle_id=cycle.id, kind=REMINDER, person=person,
                             recipient=definition.people[person].email, subject=subject, text_body=text,
                             html_body=html, attachments=attachments, message_id=message_id(key, domain),
                             dated=row.due_at, status="pending", attempts=0, next_attempt_at=now,
                             created_at=now))
        if occurrence.kind == "overdue" and rule.overdue_every:
            _add(session, cycle, stage.id, row.entry, overdue(rule, due, occurrence.n + rule.overdue_every), now)
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


def way_forward(definition: Definition, stage: str) -> str | None:
    options = definition.transitions_from(stage)
    if not options:
        return None
    order = list(definition.stages)
    return max(options, key=lambda t: order.index(t.dest)).dest


def preview(definition: Definition, cycle_key: str, year: int, stage_id: str, entered: dt.datetime,
            templates_dir: Any, *, until: dt.date | None = None) -> list[tuple[Planned, dict[str, Any]]]:
    """Every reminder the cycle will send from `stage_id` on, if each stage completes on its due date.

    Each entry carries the context it would render with, so one can be shown in full.
    """
    timeline = Timeline(definition, year)
    renderer = Renderer(templates_dir)
    planned: list[tuple[Planned, dict[str, Any]]] = []
    current: str | None = stage_id
    while current is not None and not definition.stages[current].final:
        stage = definition.stages[current]
        due = timeline.stage_due(current)
        if due is not None:
            for rule_id in stage.reminders:
                rule = definition.reminders[rule_id]
                for occurrence in first_occurrences(rule, due, entered):
                    if occurrence.kind in ("overdue", "escalation"):
                        continue  # on schedule, nothing falls overdue
                    for person in recipients_for(definition, stage, rule, occurrence):
                        ctx = context(definition, cycle_key, year, stage, rule, occurrence, person, [], timeline)
                        subject = renderer.render(rule, ctx)[0]
                        planned.append((Planned(occurrence.when, person, definition.people[person].email, subject,
                                                current, rule_id, occurrence.kind), ctx))
        step = next((t for t in definition.transitions_from(current) if t.dest == way_forward(definition, current)),
                    None)
        if step is not None and step.at is not None:
            entered = end_of_day(timeline.resolve(step.at))
        elif due is not None:
            entered = max(entered, at_local(due, REMINDER_HOUR + 1))
        current = step.dest if step else None
    planned.sort(key=lambda item: (item[0].when, item[0].stage, item[0].rule, item[0].person))
    if until is not None:
        planned = [item for item in planned if local_date(item[0].when) <= until]
    return planned
