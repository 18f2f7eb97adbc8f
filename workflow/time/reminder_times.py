"""When a stage's reminders go: the timing rules, as deadline rows.

Entering a stage plans its reminders (before the due date, on the day, and while
overdue, with escalation) as deadline rows, each at nine in the morning, English
time; `notifications.reminders` turns a due one into emails. The rules live here,
in the core, because a moved meeting replans them in the committee manager's own
transaction (`workflow.time.moved_dates`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from workflow.definition.calendar import add_working_days, working_days_between
from workflow.definition.model import ReminderRule
from workflow.time.clock import at_local, local_date
from workflow.time.deadlines import pending_row

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
    kept = [o for o in found if o.when >= entered and o.kind != "overdue"]
    missed = [o for o in found if o.kind in ("before", "due") and o.when < entered]
    if missed and local_date(entered) <= due and not any(o.kind in ("before", "due") for o in kept):
        # Entered after every "before" date but with the due date still ahead: one reminder, at once.
        last = max(missed, key=lambda o: o.when)
        kept.append(Occurrence(last.rule, last.kind, last.n, entered))
    if rule.overdue_every:
        kept.append(next_overdue(rule, due, entered))
    return sorted(kept, key=lambda o: (o.when, o.kind))


def next_overdue(rule: ReminderRule, due: dt.date, entered: dt.datetime) -> Occurrence:
    """The first overdue reminder at or after `entered`, on the rule's rhythm, however late the stage began."""
    every = rule.overdue_every or 1
    late = max(working_days_between(due, local_date(entered)), 0)
    n = max(every, -(-late // every) * every)
    found = overdue(rule, due, n)
    while found.when < entered:
        n += every
        found = overdue(rule, due, n)
    return found


def overdue(rule: ReminderRule, due: dt.date, n: int) -> Occurrence:
    return Occurrence(rule.id, "overdue", n, at_local(add_working_days(due, n), REMINDER_HOUR))


def reminder_rows(cycle_id: int, stage: str, entry: int, occurrences: list[Occurrence],
                  now: dt.datetime) -> list[dict[str, Any]]:
    """A pending deadline row per occurrence, keyed by the stage's entry and the occurrence (see `insert_pending`)."""
    return [pending_row(key=f"{entry}:{REMINDER}:{occurrence.label}", cycle_id=cycle_id, stage=stage, strand=None,
                        kind=REMINDER, trigger=None, entry=entry, due_at=occurrence.when, now=now,
                        data={"rule": occurrence.rule, "kind": occurrence.kind, "n": occurrence.n})
            for occurrence in occurrences]
