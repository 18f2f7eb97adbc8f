"""A meeting moved or cancelled after a case's contacts were invited to it: each contact who was invited is sent
the update (same UID, higher SEQUENCE, or METHOD:CANCEL) as its only attendee, once per change; a contact
never invited is sent none, one removed before it leaves has it withheld, and one added after the move is
invited to the new day once and sent no update."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import functools
from pathlib import Path
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from notifications import outside_updates, reminders
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.disclosure import WITHHELD
from notifications.mail import OutboxMailer
from tests.helpers import CLERK, CYCLE
from tests.test_contact_reminders import OFFICER, _sweep_until_family_update
from tests.test_outside_invites import inviting  # noqa: F401 (the fixture)
from workflow.app import App
from workflow.commands import contacts
from workflow.commands.meetings import change_meeting
from workflow.commands.sweep import Sweeper
from workflow.store.models import Deadline, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import LOCAL
from workflow.time.deadlines import plan_stage

MEETING = "mk_together_july"
UID = f"{CYCLE}.{MEETING}@strategy-cycle"
MOVED = dt.date(2021, 7, 20)


def handle_changes(app: App) -> None:
    """The workers' MeetingChanged handler for contacts, run on every change not yet handled."""
    handlers = Handlers()
    handlers.on("MeetingChanged", "contacts", outside_updates.update_action(app.engine, "example.org"))
    with app.engine.sessions() as session:
        events = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "MeetingChanged",
                                                              OutboxEvent.handled_at.is_(None))
                                 .order_by(OutboxEvent.id)).all()
    for event_id in events:
        handlers.handle(app.engine, event_id)


def sent_to(app: App, contact_id: int) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).where(Mail.kind == "invitation", Mail.person == f"contact:{contact_id}")
                                    .order_by(Mail.id)))


def event_of(mail: Mail) -> tuple[Calendar, Any]:
    calendar = Calendar.from_ical(mail.attachments["invite"])
    [event] = calendar.walk("VEVENT")
    return calendar, event


def attendees(event: Any) -> list[str]:
    found = event.get("attendee")
    return [str(a) for a in (found if isinstance(found, list) else [found])]


def move(app: App, **change: Any) -> None:
    change_meeting(app.engine, CYCLE, MEETING, CLERK, reason="Room double-booked", **change)


def test_an_invited_contact_is_sent_the_move_and_then_the_cancellation_once_each(inviting: App) -> None:  # noqa: F811
    engine = inviting.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    bob = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email="bob@example.net")
    ann = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Ann Example", address="1 High Street, MK1 1AA")
    _sweep_until_family_update(inviting)
    [invitation] = sent_to(inviting, bob.id)
    # Added after the invitations went out: never invited, so never sent an update either.
    cat = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Cat Example", email="cat@example.net")
    move(inviting, day=MOVED, start=dt.time(15, 0))
    handle_changes(inviting)
    handle_changes(inviting)  # handled once: nothing twice
    first, update = sent_to(inviting, bob.id)
    assert first.id == invitation.id
    assert sent_to(inviting, ann.id) == [] and sent_to(inviting, cat.id) == [], "nobody never invited"
    assert update.recipient == "bob@example.net"
    assert update.subject == ("Meeting moved: MK Together Management Board (July), "
                              "now Tuesday 20 July 2021, 15:00 to 17:00")
    assert "Dear Bob Example," in update.text_body
    assert ("The MK Together Management Board (July) on Tuesday 13 July 2021, to which you were invited, has moved "
            "to Tuesday 20 July 2021, 15:00 to 17:00.") in update.text_body, "the day they hold, and the new one"
    assert "It meets at Committee Room 2" in update.text_body
    assert "Room double-booked" not in update.text_body, "the board's reason is the board's"
    assert "http" not in update.text_body.replace("https://teams.example.org", ""), "no link into the site"
    assert update.attachments.keys() == {"invite"}, "no paper"
    calendar, event = event_of(update)
    _, original = event_of(invitation)
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]) == str(original["uid"]) == UID
    assert (original["sequence"], event["sequence"]) == (0, 1)
    assert event.decoded("dtstart").astimezone(LOCAL).replace(tzinfo=None) == dt.datetime(2021, 7, 20, 15, 0)
    assert attendees(event) == ["mailto:bob@example.net"], "no board member's address"

    move(inviting, cancel=True)
    handle_changes(inviting)
    *_, cancelled = sent_to(inviting, bob.id)
    assert len(sent_to(inviting, bob.id)) == 3
    assert cancelled.subject == "Cancelled: MK Together Management Board (July), Tuesday 20 July 2021"
    assert "is cancelled" in cancelled.text_body and "Room double-booked" not in cancelled.text_body
    calendar, event = event_of(cancelled)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert (str(event["uid"]), event["sequence"]) == (UID, 2)
    assert attendees(event) == ["mailto:bob@example.net"]
    assert sent_to(inviting, ann.id) == [] and sent_to(inviting, cat.id) == []


def test_the_update_to_a_contact_removed_before_it_leaves_is_withheld(inviting: App, tmp_path: Path) -> None:  # noqa: F811
    engine = inviting.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    bob = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email="bob@example.net")
    dee = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Dee Example", email="dee@example.net")
    _sweep_until_family_update(inviting)
    move(inviting, day=MOVED)
    handle_changes(inviting)
    [_, bobs] = sent_to(inviting, bob.id)
    [_, dees] = sent_to(inviting, dee.id)
    contacts.remove(engine, CYCLE, OFFICER, bob.id)
    outbox = tmp_path / "outbox"
    delivery = Delivery(engine, OutboxMailer(outbox), DeliveryPolicy())
    delivery.deliver(bobs.id)
    delivery.deliver(dees.id)
    [bobs, dees] = [sent_to(inviting, c.id)[-1] for c in (bob, dee)]
    assert (bobs.status, bobs.last_error) == ("failed", WITHHELD), "a removed contact is sent nothing more"
    assert dees.status == "sent"
    [written] = outbox.glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == "dee@example.net"
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    # Removed before the next change is handled: no row at all.
    move(inviting, cancel=True)
    handle_changes(inviting)
    assert len(sent_to(inviting, bob.id)) == 2 and len(sent_to(inviting, dee.id)) == 3


def test_a_contact_added_after_the_move_is_invited_to_the_new_day_once_and_sent_no_update(
        inviting: App) -> None:  # noqa: F811
    engine = inviting.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    move(inviting, day=MOVED, start=dt.time(15, 0))
    eve = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Eve Example", email="eve@example.net")
    # The reminders go out before the workers handle the change: the invitation is already the new day's.
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    with engine.sessions() as session:
        started = session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "StageEntered")).all()
    for event_id in started:
        handlers.handle(engine, event_id)
    with engine.sessions() as session:
        due = min(row.due_at for row in session.scalars(select(Deadline).where(Deadline.kind == reminders.REMINDER))
                  if row.data["rule"] == "family_update")
    engine.clock.set(due)  # type: ignore[attr-defined]
    Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")}).sweep()
    handle_changes(inviting)
    [invitation] = sent_to(inviting, eve.id)
    assert invitation.subject == "Invitation: MK Together Management Board (July), Tuesday 20 July 2021"
    _, event = event_of(invitation)
    assert event["sequence"] == 1
    assert event.decoded("dtstart").astimezone(LOCAL).replace(tzinfo=None) == dt.datetime(2021, 7, 20, 15, 0)
