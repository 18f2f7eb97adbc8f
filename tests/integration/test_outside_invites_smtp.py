"""A meeting invitation to a case's family contact, handed to a real SMTP server by the mail delivery: one message
to their address alone, whose calendar part is the meeting's request with them as its only attendee, and nothing
more when the reminders are swept again."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy import select

from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import SmtpMailer
from tests.helpers import CYCLE
from tests.integration.smtp import SmtpServer
from tests.test_contact_reminders import OFFICER, _sweep_until_family_update
from tests.test_outside_invites import inviting  # noqa: F401 (the fixture)
from workflow.app import App
from workflow.commands import contacts
from workflow.store.models import Mail


def test_the_family_contact_receives_the_meeting_invitation_once(inviting: App, smtp: SmtpServer) -> None:  # noqa: F811
    engine = inviting.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email="bob@example.net")
    _sweep_until_family_update(inviting)
    with engine.sessions() as session:
        [invitation] = session.scalars(select(Mail.id).where(Mail.kind == "invitation")).all()
    delivery = Delivery(engine, SmtpMailer(smtp.url, timeout=5), DeliveryPolicy())
    assert delivery.deliver(invitation).sent == [invitation]
    [received] = [r for r in smtp.received if "bob@example.net" in r.rcpt_tos]
    assert received.rcpt_tos == ["bob@example.net"], "to them alone"
    assert received.header("Subject").startswith("Invitation: MK Together Management Board (July)")
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["method"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["attendee"]) == "mailto:bob@example.net"
    _sweep_until_family_update(inviting)
    with engine.sessions() as session:
        assert len(session.scalars(select(Mail.id).where(Mail.kind == "invitation")).all()) == 1, "exactly once"
