"""Reminders addressed to a case role reach the cycle's contacts outside the directory, and nothing else does.

The workers' StageEntered handlers and sweep run in this process on a simulated clock (a mail-writing
test; the delivery of mail rows is the workers', tested elsewhere). A contact with an email gets an
email; one with only a postal address gets a letter as a PDF, listed and saved by `cycle letters`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from notifications import reminders
from notifications.disclosure import readable_mail, recipient_entitled
from notifications.links import Links
from tasks.cli import main
from tests.conftest import DEFINITIONS, make_settings
from tests.helpers import CYCLE
from tests.test_contacts import with_case_roles
from workflow.app import App, build
from workflow.commands import contacts
from workflow.commands.sweep import Sweeper
from workflow.definition.loader import parse_definition
from workflow.errors import DefinitionError
from workflow.store.models import CaseLetter, Deadline, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import SimulatedClock, at_local
from workflow.time.deadlines import plan_stage

OFFICER = "head_of_partnerships"
DATA = Path(__file__).resolve().parent / "data"
SITE = "https://cycle.example.org"
FAMILY_RULE = ("  family_update:\n    template: reminder_papers\n    to: [case_role:family_contact]\n"
               "    before: [3]\n    on_due: false\n")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[App]:
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "templates").symlink_to(DEFINITIONS / "templates")
    text = with_case_roles().replace("reminders:\n  board_decision:\n", f"reminders:\n{FAMILY_RULE}  board_decision:\n", 1)
    text = text.replace("    due: mk_together_july\n    reminders: [board_decision, papers_due]",
                        "    due: mk_together_july\n    reminders: [board_decision, papers_due, family_update]", 1)
    (defs / "community_safety_strategy.yaml").write_text(text)
    app = build(dataclasses.replace(make_settings(tmp_path / "data"), definitions_dir=defs),
                clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    yield app
    app.close()


def _sweep_until_family_update(app: App) -> None:
    engine = app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    sweeper = Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org", Links(SITE))})
    with engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(engine, event_id)
    with engine.sessions() as session:
        [due] = [row.due_at for row in session.scalars(select(Deadline).where(Deadline.kind == reminders.REMINDER))
                 if row.data["rule"] == "family_update"]
    engine.clock.set(due)  # type: ignore[attr-defined]
    sweeper.sweep()
    sweeper.sweep()  # a second sweep writes nothing twice


def test_a_reminder_to_a_case_role_is_an_email_or_a_letter_and_nothing_more(running: App, tmp_path: Path) -> None:
    engine = running.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    ann = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Ann Example",
                       address="1 High Street, Milton Keynes, MK1 1AA")
    bob = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email="bob@example.net")
    gone = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Cat Example", email="cat@example.net")
    contacts.remove(engine, CYCLE, OFFICER, gone.id)
    _sweep_until_family_update(running)
    with engine.sessions() as session:
        mail = session.scalars(select(Mail).order_by(Mail.id)).all()
        letters = session.scalars(select(CaseLetter)).all()
    outside = [m for m in mail if m.person.startswith("contact:")]
    assert [(m.person, m.recipient) for m in outside] == [(f"contact:{bob.id}", "bob@example.net")], \
        "one email, to the contact with an email; none to a removed contact"
    [email] = outside
    assert email.attachments == {"personal": False}, "no paper and no board meeting invitation; no personal field"
    assert SITE not in email.text_body and SITE not in (email.html_body or ""), "no link into the site"
    assert "Dear Bob Example," in email.text_body, "addressed to the contact by name"
    assert any(SITE in m.text_body for m in mail if not m.person.startswith("contact:")), \
        "the directory's reminders still link to the site"
    assert not any(m.recipient.endswith("@example.net") for m in mail if m is not email), \
        "outside parties get only the reminder addressed to their case role"
    assert [(letter.contact_id, letter.subject) for letter in letters] == [(ann.id, email.subject)]

    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(tmp_path / "defs"), "CYCLE_NOW": "2021-07-09T10:00:00+01:00"}
    listed = CliRunner().invoke(main, ["letters", "list", CYCLE, "--as", OFFICER], env=env)
    assert listed.exit_code == 0, listed.output
    assert "Ann Example (Family contact), 1 High Street, Milton Keynes, MK1 1AA" in listed.output
    saved = tmp_path / "letter.pdf"
    wrote = CliRunner().invoke(main, ["letters", "save", CYCLE, str(letters[0].id), "-o", str(saved), "--as", OFFICER],
                               env=env)
    assert wrote.exit_code == 0, wrote.output
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "Ann Example" in text and "MK1 1AA" in text and "Dear Ann Example," in text
    refused = CliRunner().invoke(main, ["letters", "list", CYCLE, "--as", "police_area_commander"], env=env)
    assert refused.exit_code != 0 and "Ann" not in refused.output


def test_what_is_sent_to_a_contact_is_read_only_by_those_who_manage_contacts(running: App, tmp_path: Path) -> None:
    engine = running.engine
    engine.start("community_safety_strategy", 2021, OFFICER)
    bob = contacts.add(engine, CYCLE, OFFICER, role="family_contact", name="Bob Example", email="bob@example.net")
    _sweep_until_family_update(running)
    with engine.sessions() as session:
        [email] = session.scalars(select(Mail).where(Mail.person == f"contact:{bob.id}")).all()
        assert readable_mail(engine, session, email, OFFICER), "the officers under permissions.contacts"
        for reader in (None, "committee_manager", "police_area_commander"):  # the public, another officer, a member
            assert not readable_mail(engine, session, email, reader), reader
        assert recipient_entitled(engine, session, email), "the workers send it"
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(tmp_path / "defs"), "CYCLE_NOW": "2021-07-09T10:00:00+01:00"}
    public = CliRunner().invoke(main, ["mail", "list", CYCLE, "--json"], env=env)
    assert public.exit_code == 0, public.output
    assert "bob@example.net" not in public.output and "Bob" not in public.output
    contacts.remove(engine, CYCLE, OFFICER, bob.id)
    with engine.sessions() as session:
        assert not recipient_entitled(engine, session, session.get(Mail, email.id)), \
            "a contact removed before the email left is not sent it"


CASE_ROLES = ("case_roles:\n  family_contact: {title: Family contact, receives_personal: true}\n"
              "  independent_chair: {title: Independent chair}\n")
CASE_LETTER = ("  family_letter:\n    template: reminder_case\n"
               "    to: [case_role:family_contact, case_role:independent_chair]\n    before: [5]\n")


def case_review_with_contacts(tmp_path: Path) -> Path:
    """tests/data/case_review.yaml, whose fields name the person who died, with a family contact (who receives
    personal fields) and an independent chair (who does not), both sent the case officer's reminder."""
    text = (DATA / "case_review.yaml").read_text(encoding="utf-8")
    text = text.replace("retention:", CASE_ROLES + "retention:", 1)
    text = text.replace("  attach: [officer, secretariat]\n", "  attach: [officer, secretariat]\n  contacts: [officer]\n", 1)
    text = text.replace("reminders: [case_officer]}", "reminders: [case_officer, family_letter]}", 1)
    defs = tmp_path / "case_defs"
    defs.mkdir()
    (defs / "case_review.yaml").write_text(text.rstrip("\n") + "\n" + CASE_LETTER, encoding="utf-8")
    (defs / "templates").symlink_to(DATA / "templates")
    return defs


def test_a_letter_to_a_family_contact_names_the_case_and_a_role_without_personal_data_reads_it_withheld(
        tmp_path: Path) -> None:
    app = build(dataclasses.replace(make_settings(tmp_path / "data"), definitions_dir=case_review_with_contacts(tmp_path)),
                clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    try:
        engine = app.engine
        engine.start("case_review", 2026, "officer_a", fields={"subject_name": "Alex Example",
                                                               "date_of_death": "2026-03-14", "review_kind": "full"})
        family = contacts.add(engine, "case_review-2026", "officer_a", role="family_contact", name="Ann Example",
                              address="1 High Street, Milton Keynes, MK1 1AA")
        chair = contacts.add(engine, "case_review-2026", "officer_a", role="independent_chair", name="Chris Chair",
                             email="chris@example.net")
        handlers = Handlers()
        handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
        handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
        with engine.sessions() as session:
            for event_id in session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all():
                handlers.handle(engine, event_id)
        engine.clock.set(at_local(dt.date(2026, 5, 5), 12))  # type: ignore[attr-defined]
        Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org", Links(SITE))}).sweep()
        with engine.sessions() as session:
            [letter] = session.scalars(select(CaseLetter)).all()
            [email] = session.scalars(select(Mail).where(Mail.person == f"contact:{chair.id}")).all()
            pdf = engine.papers.get(letter.pdf_sha256)
    finally:
        app.close()
    assert letter.contact_id == family.id
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "the review of the death of Alex Example (died 14 March 2026)" in text, text
    assert "This is a full review." in text and "Ann Example" in text
    body = email.text_body + (email.html_body or "") + email.subject
    assert "the death of (withheld) (died (withheld))" in " ".join(email.text_body.split()), email.text_body
    assert "Alex Example" not in body and "14 March 2026" not in body
    assert "This is a full review." in email.text_body  # a field that is not personal reaches every contact


def test_receives_personal_is_a_yes_or_no_named_on_its_line(tmp_path: Path) -> None:
    text = case_review_with_contacts(tmp_path).joinpath("case_review.yaml").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text.replace("receives_personal: true", "receives_personal: family"), "case_review.yaml")
    [(line, field, message)] = [(p.line, p.field, p.message) for p in raised.value.problems]
    assert field == "case_roles.family_contact.receives_personal" and "expected" in message
    assert text.splitlines()[line - 1].startswith("  family_contact:")
    assert parse_definition(text, "case_review.yaml").personal_case_roles == {"family_contact"}
