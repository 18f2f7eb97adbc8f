"""What a board member receives: the meeting invitation a calendar accepts, and a reminder that says where and when."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import functools
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from notifications import publication, reminders, rescheduling
from notifications.calendar_invite import meeting_invite
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import OutboxMailer
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CLERK, CYCLE, carry, paper_file
from workflow.app import App
from workflow.commands.meetings import change_meeting
from workflow.commands.sweep import Sweeper
from workflow.definition.loader import load_definition
from workflow.errors import InvalidInput, Refused
from workflow.store.models import Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import LOCAL, at_local
from workflow.time.deadlines import plan_stage
from workflow.time.reminder_times import first_occurrences

DEFINITION = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")
AUGUST = DEFINITION.meetings["risk_board_august"]
DAY = dt.date(2021, 8, 19)
NOW = dt.datetime(2021, 8, 5, 8, tzinfo=dt.UTC)


def _event(text: str) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_an_invitation_has_the_time_place_organiser_and_every_member() -> None:
    calendar, event = _event(meeting_invite(DEFINITION, "c-2021", AUGUST, DAY, NOW))
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Europe/London"
    assert start.astimezone(LOCAL).replace(tzinfo=None) == dt.datetime(2021, 8, 19, 10, 0)
    assert end - start == dt.timedelta(hours=2)
    assert "Meeting Room 4" in str(event["LOCATION"])
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["ORGANIZER"]) == "mailto:committee.manager@example.org"
    assert event["ORGANIZER"].params["CN"] == "Helen Marsh"
    roles = {str(a).removeprefix("mailto:"): a.params["ROLE"] for a in event["ATTENDEE"]}
    board = DEFINITION.boards["risk_board"]
    assert len(roles) == len(board.members), "one attendee per member"
    assert roles["police.commander@example.org"] == "REQ-PARTICIPANT", "the voting chair is required"
    assert roles["fire.commander@example.org"] == "REQ-PARTICIPANT"
    assert roles["community.safety@example.org"] == "OPT-PARTICIPANT", "an officer is optional"


def test_a_moved_or_cancelled_meeting_keeps_its_uid() -> None:
    _, first = _event(meeting_invite(DEFINITION, "c-2021", AUGUST, DAY, NOW))
    _, moved = _event(meeting_invite(DEFINITION, "c-2021", AUGUST, DAY + dt.timedelta(days=7), NOW, sequence=1))
    cancel_calendar, cancelled = _event(meeting_invite(DEFINITION, "c-2021", AUGUST, DAY, NOW, sequence=2,
                                                       cancelled=True))
    assert first["UID"] == moved["UID"] == cancelled["UID"]
    assert (first["SEQUENCE"], moved["SEQUENCE"], cancelled["SEQUENCE"]) == (0, 1, 2)
    assert cancel_calendar["METHOD"] == "CANCEL" and cancelled["STATUS"] == "CANCELLED"


def test_a_stage_entered_years_late_still_gets_overdue_reminders() -> None:
    rule = DEFINITION.reminders["board_decision"]
    entered = at_local(dt.date(2026, 11, 27), 10)
    found = first_occurrences(rule, DAY, entered)
    assert [o.kind for o in found] == ["overdue"]
    assert entered <= found[0].when <= entered + dt.timedelta(days=10)
    papers = first_occurrences(DEFINITION.reminders["papers_due"], DAY, at_local(dt.date(2021, 8, 10), 10))
    assert [(o.kind, o.when) for o in papers] == [("before", at_local(dt.date(2021, 8, 10), 10))], \
        "papers due 15 working days before, stage entered with 7 left: the reminder goes at once"


def _delivered(app: App, tmp_path: Path, person: str, subject_start: str) -> EmailMessage:
    engine = app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    sweeper = Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")})
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.clock.set(at_local(dt.date(2021, 7, 8), 9))  # type: ignore[attr-defined]
    with engine.sessions() as session:
        for event_id in session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all():
            handlers.handle(engine, event_id)
    sweeper.sweep()
    with engine.sessions() as session:
        (mail_id,) = session.scalars(select(Mail.id).where(Mail.person == person,
                                                           Mail.subject.startswith(subject_start))).all()
    Delivery(engine, OutboxMailer(tmp_path / "outbox"), DeliveryPolicy()).deliver(mail_id)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_board_reminder_greets_by_name_says_where_and_when_and_carries_an_invitation(
        app: App, tmp_path: Path) -> None:
    message = _delivered(app, tmp_path, "police_area_commander", "MK Together")
    assert message["To"].addresses[0].display_name == "Supt Gareth Lewis"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Dear Supt Gareth Lewis," in body
        assert "Tuesday 13 July 2021, 14:00 to 16:00" in body
        assert "Committee Room 2, Civic Offices" in body
        assert "come ready to decide" in body, "a voting member is asked to come ready to decide"
    assert "<h1" in html and 'style="' in html and "<style" not in html, "CSS inlined, with a heading"
    (calendar_part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_disposition() is None, "an alternative a mail client offers to accept"
    _, event = _event(calendar_part.get_content())
    assert event["UID"] == f"{app.engine.status('community_safety_strategy-2021').cycle}.mk_together_july@strategy-cycle"


def test_the_papers_due_reminder_to_the_author_does_not_ask_them_to_decide(app: App, tmp_path: Path) -> None:
    message = _delivered(app, tmp_path, "head_of_partnerships", "Papers due")
    text = message.get_body(("plain",)).get_content()
    assert "Dear Priya Shah," in text
    assert "decide" not in text
    assert "Committee Room 2" in text


def test_a_paper_attached_before_the_meeting_reaches_each_entitled_member_once(app: App, tmp_path: Path) -> None:
    engine = app.engine
    handlers = Handlers()
    handlers.on("PaperAttached", "papers", publication.publish_action(engine, "example.org"))
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.clock.set(at_local(dt.date(2021, 7, 13), 10))  # type: ignore[attr-defined]  # MK Together meets at 14:00
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef", "Early findings.\n"), AUTHOR)
    engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "annex", "Named individuals.\n"), AUTHOR,
                  exempt=1, title="Annex: case list", stage="assessment_presented")
    with engine.sessions() as session:
        events = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "PaperAttached")).all()
    for event_id in events:
        handlers.handle(engine, event_id)
    with engine.sessions() as session:
        event = session.get(OutboxEvent, events[0])
        assert event is not None
        # A redelivered event (its effect key aside) sends nothing twice: one mail per paper and member.
        publication.publish_action(engine, "example.org")(session, event, engine.clock.now())
        session.flush()
        mails = list(session.scalars(select(Mail).where(Mail.kind == "papers").order_by(Mail.id)))
    by_paper: dict[str, set[str]] = {}
    for mail in mails:
        by_paper.setdefault(mail.subject.split(": ", 1)[1].split(" (")[0], set()).add(mail.person)
    assert by_paper["Strategic assessment - early findings"] == {
        p for p, _ in DEFINITION.boards["mk_together"].members}
    safer_mk = dict(DEFINITION.boards["safer_mk"].members)
    assert by_paper["Annex: case list"] == {
        p for p, kind in safer_mk.items() if kind.value in ("voting", "voting_chair", "chair", "officer")}, \
        "the exempt annex goes to Safer MK's voting members, chair and officers; not to advisors or observers"
    assert len(mails) == sum(len(people) for people in by_paper.values()), "once per paper and member"
    # What the police commander receives: the file itself, before the meeting, with where and when.
    (mail_id,) = [m.id for m in mails if m.person == "police_area_commander" and "early findings" in m.subject]
    Delivery(engine, OutboxMailer(tmp_path / "outbox"), DeliveryPolicy()).deliver(mail_id)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Date"].datetime < dt.datetime(2021, 7, 13, 14, tzinfo=LOCAL), "before the meeting"
    (attached,) = [part for part in message.iter_attachments()]
    assert attached.get_content().strip() == "Early findings."
    text = message.get_body(("plain",)).get_content()
    assert "Dear Supt Gareth Lewis," in text and "14:00 to 16:00" in text and "Committee Room 2" in text


def test_a_moved_then_cancelled_meeting_updates_every_members_calendar(app: App, tmp_path: Path) -> None:
    engine = app.engine
    handlers = Handlers()
    handlers.on("MeetingChanged", "meeting", rescheduling.notify_action(engine, "example.org"))
    engine.start(SHIPPED, 2021, AUTHOR)
    with pytest.raises(InvalidInput, match="has passed"):
        change_meeting(engine, CYCLE, "mk_together_july", CLERK, reason="Room double-booked",
                       day=dt.date(2021, 6, 1))
    with pytest.raises(Refused):
        change_meeting(engine, CYCLE, "mk_together_july", "fire_group_commander", reason="x", day=DAY)
    change_meeting(engine, CYCLE, "mk_together_july", CLERK, reason="Room double-booked",
                   day=dt.date(2021, 7, 20), start=dt.time(15, 0))
    change_meeting(engine, CYCLE, "mk_together_july", CLERK, reason="Business taken by the August meeting",
                   cancel=True)
    with engine.sessions() as session:
        events = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "MeetingChanged")
                                 .order_by(OutboxEvent.id)).all()
    for event_id in events:
        handlers.handle(engine, event_id)
    with engine.sessions() as session:
        mails = list(session.scalars(select(Mail).where(Mail.kind == "meeting").order_by(Mail.id)))
    members = [p for p, _ in DEFINITION.boards["mk_together"].members]
    assert [m.person for m in mails] == members * 2, "each member: the move, then the cancellation"
    _, moved = _event(mails[0].attachments["invite"])
    cancel_calendar, cancelled = _event(mails[-1].attachments["invite"])
    _, original = _event(meeting_invite(DEFINITION, CYCLE, DEFINITION.meetings["mk_together_july"],
                                        dt.date(2021, 7, 13), NOW))
    assert moved["UID"] == cancelled["UID"] == original["UID"]
    assert (moved["SEQUENCE"], cancelled["SEQUENCE"]) == (1, 2)
    assert moved.decoded("DTSTART").astimezone(LOCAL).replace(tzinfo=None) == dt.datetime(2021, 7, 20, 15, 0)
    assert cancel_calendar["METHOD"] == "CANCEL"
    assert "Room double-booked" in mails[0].text_body and "Tuesday 20 July 2021, 15:00 to 17:00" in mails[0].text_body
    assert mails[-1].subject.startswith("Cancelled: MK Together Management Board (July)")


def test_a_later_board_is_sent_an_earlier_boards_paper_on_entering_its_stage_once_and_only_before_it_meets(
        app: App, tmp_path: Path) -> None:
    engine = app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "papers", publication.carry_action(engine, "example.org"))
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.clock.set(at_local(dt.date(2021, 7, 13), 18))  # type: ignore[attr-defined]  # MK Together has met
    # Attached for MK Together's stage under the paper id the Risk Board and Safer MK decide on.
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa"), AUTHOR, title="Draft assessment")
    carry(app, "mk_together", "early_findings")
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)

    def entered(stage: str) -> int:
        with engine.sessions() as session:
            return [e.id for e in session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "StageEntered")
                                                  .order_by(OutboxEvent.id)) if e.payload["stage"] == stage][-1]

    def sent() -> list[Mail]:
        with engine.sessions() as session:
            return list(session.scalars(select(Mail).where(Mail.kind == "papers").order_by(Mail.id)))

    handlers.handle(engine, entered("assessment_sign_off"))
    risk_board = [p for p, _ in DEFINITION.boards["risk_board"].members]
    assert [m.person for m in sent()] == risk_board, "the Risk Board, which meets on 19 August"
    assert all("Risk Board" in m.subject and "Draft assessment" in m.subject for m in sent())
    with engine.sessions() as session:  # delivered again: nothing twice
        event = session.get(OutboxEvent, entered("assessment_sign_off"))
        assert event is not None
        publication.carry_action(engine, "example.org")(session, event, engine.clock.now())
        session.flush()
        assert len(list(session.scalars(select(Mail).where(Mail.kind == "papers")))) == len(risk_board)
    # Safer MK's stage entered only after its meeting of 8 September: it has met, nothing is sent.
    carry(app, "risk_board", "strategic_assessment")
    engine.clock.set(at_local(dt.date(2021, 9, 9), 10))  # type: ignore[attr-defined]
    engine.fire(CYCLE, "sign_off_assessment", AUTHOR)
    handlers.handle(engine, entered("assessment_presented"))
    assert len(sent()) == len(risk_board)
