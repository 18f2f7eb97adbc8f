"""A meeting's `invite: [case_role]`: the case's contacts in those roles who have an email are sent the meeting's
invitation (iCalendar) once, with the board's reminders for its stage, as its only attendee; a contact with no
email, or removed, gets none; the loader refuses an unknown case role naming the file's line and field."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.conftest import DEFINITIONS, make_settings
from tests.helpers import CYCLE
from tests.test_contact_reminders import FAMILY_RULE, OFFICER, _sweep_until_family_update
from tests.test_contacts import _problems, with_case_roles
from workflow.app import App, build
from workflow.commands import contacts
from workflow.store.models import Mail
from workflow.time.clock import SimulatedClock, at_local

MEETING = "    remote_link: https://teams.example.org/l/meetup-join/mk-together\n"
INVITE = MEETING + "    invite: [family_contact]\n"


def definition_text() -> str:
    text = with_case_roles().replace("reminders:\n  board_decision:\n", f"reminders:\n{FAMILY_RULE}  board_decision:\n", 1)
    text = text.replace("    due: mk_together_july\n    reminders: [board_decision, papers_due]",
                        "    due: mk_together_july\n    reminders: [board_decision, papers_due, family_update]", 1)
    return text.replace(MEETING, INVITE, 1)


@pytest.fixture
def inviting(tmp_path: Path) -> Iterator[App]:
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "templates").symlink_to(DEFINITIONS / "templates")
    (defs / "community_safety_strategy.yaml").write_text(definition_text())
    app = build(dataclasses.replace(make_settings(tmp_path / "data"), definitions_dir=defs),
                clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    yield app
    app.close()


def test_the_loader_reads_invite_and_refuses_an_unknown_case_role(tmp_path: Path) -> None:
    wrong = definition_text().replace("invite: [family_contact]", "invite: [family_contcat]")
    found = _problems(wrong, tmp_path)
    assert "meetings.mk_together_july.invite" in found and "did you mean 'family_contact'?" in found


def test_a_contact_with_an_email_is_invited_once_and_is_the_only_attendee(inviting: App) -> None:
    engine = inviting.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    bob = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email="bob@example.net")
    contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Ann Example", address="1 High Street, MK1 1AA")
    gone = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Cat Example", email="cat@example.net")
    contacts.remove(engine, CYCLE, OFFICER, gone.id)
    _sweep_until_family_update(inviting)  # every reminder of the stage due so far, swept twice
    with engine.sessions() as session:
        invitations = session.scalars(select(Mail).where(Mail.kind == "invitation")).all()
        board_invites = [m for m in session.scalars(select(Mail).where(Mail.kind == "reminder"))
                         if m.attachments.get("invite")]
    assert board_invites, "the board's reminders carried the meeting's invitation"
    assert [(m.person, m.recipient) for m in invitations] == [(f"contact:{bob.id}", "bob@example.net")], \
        "once, only to the current contact with an email"
    [mail] = invitations
    assert mail.subject == "Invitation: MK Together Management Board (July), Tuesday 13 July 2021"
    assert "Dear Bob Example," in mail.text_body and "14:00 to 16:00" in mail.text_body
    assert mail.attachments.keys() == {"invite"}, "no paper"
    [event] = Calendar.from_ical(mail.attachments["invite"]).walk("VEVENT")
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:bob@example.net"], "no board member's address"
    assert str(event["uid"]) == f"{CYCLE}.mk_together_july@strategy-cycle", "the board's diary entry, the same UID"
