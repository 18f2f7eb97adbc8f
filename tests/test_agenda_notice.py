"""The committee manager's warning that an agenda is not yet issued: planned when the stage signed off at the meeting
is entered, sent N+2 working days before the meeting (the working day before the issue deadline), once, and not
at all once the agenda is issued."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select

from notifications import agenda_notice
from tests.agenda_setup import BOARD, JULY, agenda_app
from tests.conftest import SHIPPED
from tests.helpers import CLERK
from workflow.app import App
from workflow.commands import agenda as commands
from workflow.commands.meetings import change_meeting
from workflow.commands.sweep import Sweeper
from workflow.store.models import Deadline, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import LOCAL, at_local

__all__ = ["agenda_app"]


def _run(app: App, at: dt.datetime) -> None:
    """The workers' planning and sweep at `at`, in this process."""
    engine = app.engine
    engine.clock.set(at)  # type: ignore[attr-defined]
    handlers = Handlers()
    handlers.on("StageEntered", "agenda", functools.partial(agenda_notice.plan, engine))
    handlers.on("MeetingChanged", "agenda", functools.partial(agenda_notice.plan_moved, engine))
    with engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(engine, event_id)
    Sweeper(engine, {agenda_notice.AGENDA_NOTICE: agenda_notice.send_action(engine, "example.org")}).sweep()


def _mail(app: App) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).where(Mail.kind == agenda_notice.AGENDA_NOTICE)))


def test_warning_day_is_the_working_day_before_the_deadline_across_a_bank_holiday() -> None:
    assert agenda_notice.warning_day(JULY, 5) == dt.date(2021, 7, 2)
    # Thursday 2 September 2021: issue by Tuesday 24 August, warned on Monday 23 (30 August is a bank holiday).
    assert agenda_notice.warning_day(dt.date(2021, 9, 2), 5) == dt.date(2021, 8, 23)


def test_the_committee_manager_is_warned_once_when_the_agenda_is_not_issued(agenda_app: App) -> None:
    _run(agenda_app, at_local(dt.date(2021, 7, 1), 10))
    with agenda_app.engine.sessions() as session:
        row = session.scalars(select(Deadline).where(Deadline.kind == agenda_notice.AGENDA_NOTICE)).one()
    assert row.due_at.astimezone(LOCAL).replace(tzinfo=None) == dt.datetime(2021, 7, 2, 9)
    assert _mail(agenda_app) == []
    _run(agenda_app, at_local(dt.date(2021, 7, 2), 10))
    _run(agenda_app, at_local(dt.date(2021, 7, 2), 11))
    sent = _mail(agenda_app)
    assert [(m.recipient, m.subject) for m in sent] == [
        ("committee.manager@example.org",
         "Agenda of the MK Together Management Board (July) not yet issued: issue it by Monday 5 July 2021")]
    assert "cycle agenda issue mk_together 2021-07-13" in sent[0].text_body


def test_no_warning_once_the_agenda_is_issued(agenda_app: App) -> None:
    _run(agenda_app, at_local(dt.date(2021, 7, 1), 10))
    commands.issue(agenda_app.engine, BOARD, JULY, CLERK)
    _run(agenda_app, at_local(dt.date(2021, 7, 2), 10))
    assert _mail(agenda_app) == []


def test_a_moved_meeting_is_warned_of_for_its_new_day_only(agenda_app: App) -> None:
    _run(agenda_app, at_local(dt.date(2021, 7, 1), 10))
    change_meeting(agenda_app.engine, f"{SHIPPED}-2021", "mk_together_july", CLERK, reason="Room needed",
                   day=dt.date(2021, 7, 20))
    _run(agenda_app, at_local(dt.date(2021, 7, 2), 10))
    assert _mail(agenda_app) == [], "the old day's warning finds no meeting then"
    _run(agenda_app, at_local(dt.date(2021, 7, 9), 10))  # 20 July: issue by Monday 12 July, warned on Friday 9
    assert [m.subject for m in _mail(agenda_app)] == [
        "Agenda of the MK Together Management Board (July) not yet issued: issue it by Monday 12 July 2021"]
