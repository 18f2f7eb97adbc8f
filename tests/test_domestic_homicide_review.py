"""The shipped Domestic Homicide Review: two reviews at once, one not commissioned, one through publication.

On the shipped definitions folder, with the workers' StageEntered handlers and sweep run in this process on a
simulated clock (delivery by real workers is tested in tests/integration/test_dhr_workers.py). The family
contact has no email, so the reminder before publication is a letter; the personal case data is erased after
the retention period with `cycle retention run` and `cycle history verify` still passes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from notifications import reminders
from notifications.documents import Documents
from notifications.links import Links
from tasks.cli import main
from tests.conftest import make_settings
from workflow.app import App, build
from workflow.commands import contacts
from workflow.commands.panels import NotIndependent, choose_panel
from workflow.commands.sweep import Sweeper
from workflow.definition.case_fields import WITHHELD
from workflow.errors import GateNotMet
from workflow.store.models import CaseContact, CaseLetter, Deadline, Document, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import SimulatedClock, at_local
from workflow.time.deadlines import plan_stage

DHR = "domestic_homicide_review"
COORDINATOR = "dhr_coordinator"
CLERK = "committee_manager"
BOARD = ["council_chief_executive", "police_area_commander", "ccg_chief_operating_officer", "probation_manager"]
FIRST, SECOND = "DHR-2026-001", "DHR-2026-002"


@pytest.fixture
def dhr(tmp_path: Path) -> Iterator[App]:
    app = build(make_settings(tmp_path / "data"), clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    yield app
    app.close()


def cli(tmp_path: Path, now: str, *args: str) -> tuple[int, str]:
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "", "CYCLE_NOW": now,
           "CYCLE_DEFINITIONS_DIR": str(make_settings(tmp_path).definitions_dir)}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def paper(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(b"%PDF-1.4\n% " + name.encode() + b"\n")
    return path


def pdftotext(content: bytes) -> str:
    """The PDF's text as `pdftotext` reads it, on one line."""
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(done.stdout.decode("utf-8").split())


def run_workers_until_family_letter(app: App, cycle: str) -> None:
    """Plan what entering each stage plans and make the records of the gates passed, then move the clock to the
    family reminder and sweep."""
    engine = app.engine
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    documents = Documents(engine, app.documents(), Links(""))
    handlers.on("GatePassed", "documents", documents.apply, prepare=documents.prepare)
    with engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(engine, event_id)
    with engine.sessions() as session:
        [due] = [row.due_at for row in session.scalars(select(Deadline).where(Deadline.kind == reminders.REMINDER))
                 if row.data["rule"] == "family_publication"]
    engine.clock.set(due)  # type: ignore[attr-defined]
    Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org", Links(""))}).sweep()


def test_two_reviews_run_at_once_one_closes_unheld_and_one_is_published(dhr: App, tmp_path: Path) -> None:
    engine = dhr.engine
    clock = engine.clock
    started = [engine.start(DHR, None, COORDINATOR, fields={
        "subject_name": name, "date_of_death": died, "date_notified": "2026-04-06", "notified_by": "police"})
        for name, died in (("Alex Example", "2026-03-30"), ("Sam Sample", "2026-04-02"))]
    assert [s.cycle for s in started] == [FIRST, SECOND]
    strategy = engine.start("community_safety_strategy", 2026, "head_of_partnerships").cycle  # a yearly cycle beside

    # The first: the partnership decides not to hold a review; the Home Office is told and the case closes.
    engine.decide(FIRST, "csp_board", "commission", CLERK, votes_for=BOARD[:1], votes_against=BOARD[1:3])
    with pytest.raises(GateNotMet, match="was not carried, and this step is taken only when it is carried"):
        engine.fire(FIRST, "commission_review", COORDINATOR)
    with pytest.raises(GateNotMet):
        engine.fire(FIRST, "close_not_commissioned", COORDINATOR)  # the Home Office has not been told yet
    engine.set_fields(FIRST, {"home_office_told_on": "2026-04-08"}, COORDINATOR)
    assert engine.fire(FIRST, "close_not_commissioned", COORDINATOR).to_state == "closed_not_commissioned"

    # The second: commissioned, a chair and a panel independent of the chair's organisation.
    engine.decide(SECOND, "csp_board", "commission", CLERK, votes_for=BOARD)
    assert engine.fire(SECOND, "commission_review", COORDINATOR).to_state == "appointing_chair"
    with pytest.raises(NotIndependent) as refused:
        choose_panel(engine, SECOND, "review_panel", ["housing_lead", "review_associates_director"], COORDINATOR)
    assert str(refused.value) == ("the Review panel must be independent of the Independent chair's organisation, but "
                                  "Owen Threlfall (Director, Northfield Review Associates) sits on the Independent "
                                  "chair's organisation; choose someone else")
    choose_panel(engine, SECOND, "review_panel", ["police_review_officer", "health_safeguarding_lead",
                                                   "housing_lead"], COORDINATOR)
    with pytest.raises(GateNotMet, match="Independent chair"):
        engine.fire(SECOND, "start_review", COORDINATOR)
    engine.set_fields(SECOND, {"home_office_told_on": "2026-04-09", "chair_name": "Pat Northcote"}, COORDINATOR)
    assert engine.fire(SECOND, "start_review", COORDINATOR).to_state == "under_review"
    assert engine.status(FIRST).stage == "closed_not_commissioned"  # the two cases keep their own states

    # The overview report, exempt (Schedule 12A paragraph 2), to the board, then the Home Office's panel.
    clock.set(at_local(dt.date(2026, 9, 14), 9))  # type: ignore[attr-defined]
    engine.attach(SECOND, "overview_report", paper(tmp_path, "overview"), COORDINATOR, exempt=2)
    assert engine.fire(SECOND, "report_to_board", COORDINATOR).to_state == "board_report"
    public, entitled = engine.register(DHR), engine.register(DHR, COORDINATOR)
    assert [i.cycle for i in entitled.instances] == [SECOND]
    assert public.instances == [] and len(public.withheld) == 1, "an exempt case: only how many and how late"
    engine.decide(SECOND, "csp_board", "overview_report", CLERK, votes_for=BOARD)
    assert engine.fire(SECOND, "submit_to_home_office", COORDINATOR).to_state == "quality_assurance"
    clock.set(at_local(dt.date(2026, 11, 16), 9))  # type: ignore[attr-defined]
    engine.attach(SECOND, "quality_assurance_letter", paper(tmp_path, "qa"), COORDINATOR)
    with pytest.raises(GateNotMet, match="Planned date of publication"):
        engine.fire(SECOND, "prepare_publication", COORDINATOR)
    engine.set_fields(SECOND, {"publication_date": "2026-12-07"}, COORDINATOR)
    family = contacts.add(engine, SECOND, COORDINATOR, role="family_contact", name="Jo Sample",
                          address="4 Mill Lane, Milton Keynes, MK2 2BB")
    assert engine.fire(SECOND, "prepare_publication", COORDINATOR).to_state == "publishing"

    # The family are told before publication: with no email, by a letter carrying the case's data.
    run_workers_until_family_letter(dhr, SECOND)
    with engine.sessions() as session:
        letters = session.scalars(select(CaseLetter)).all()
        emailed = session.scalars(select(Mail).where(Mail.person.startswith("contact:"))).all()
    assert [letter.contact_id for letter in letters] == [family.id] and emailed == []
    saved = tmp_path / "letter.pdf"
    code, said = cli(tmp_path, "2026-11-23T10:00:00+00:00", "letters", "save", SECOND, str(letters[0].id),
                     "-o", str(saved), "--as", COORDINATOR)
    assert code == 0, said
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    text = " ".join(text.split())
    assert "Dear Jo Sample," in text and "MK2 2BB" in text
    assert SECOND in text and "7 December 2026" in text, "the case's reference and planned publication date"

    # The board's decisions on each case have a record carrying its details; personal ones only in the exempt version.
    with engine.sessions() as session:
        records = session.scalars(select(Document).where(Document.spec == "review_record")
                                  .order_by(Document.id)).all()
    made = {(r.cycle_id, r.title.split(": ")[-1], r.version): dhr.documents().get(r.pdf_sha256) for r in records}
    assert sorted({(title, version) for _, title, version in made}) == [
        (t, v) for t in ("Commission the review", "Submit the report to the Home Office quality assurance panel",
                         "Tell the Home Office and close without a review") for v in ("exempt", "public")]
    second = [(version, pdftotext(pdf)) for (_, title, version), pdf in made.items() if title.startswith("Submit")]
    for version, text in second:
        assert SECOND in text and "Pat Northcote" in text and "6 April 2026" in text, text
        if version == "exempt":
            assert "Sam Sample" in text and "2 April 2026" in text and "NOT FOR PUBLICATION" in text
        else:
            assert "Sam Sample" not in text and "2 April 2026" not in text and "(withheld)" in text
    first = {version: pdftotext(pdf) for (_, title, version), pdf in made.items() if title.startswith("Tell")}
    assert "Alex Example" in first["exempt"] and "Alex Example" not in first["public"] and FIRST in first["public"]

    with pytest.raises(GateNotMet):
        engine.fire(SECOND, "publish", COORDINATOR)  # not before the planned date
    clock.set(at_local(dt.date(2026, 12, 7), 9))  # type: ignore[attr-defined]
    Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org", Links(""))}).sweep()
    with engine.sessions() as session:  # the coordinator's reminder, written with the case's personal values
        sent = session.scalars(select(Mail).where(Mail.kind == reminders.REMINDER,
                                                  Mail.cycle_id == engine.cycle_id(session, SECOND))).all()
        assert [(m.person, m.attachments["personal"]) for m in sent] == [(COORDINATOR, True)] * 2  # 5 days before, due
    assert engine.fire(SECOND, "publish", COORDINATOR).to_state == "published"

    # Personal data: withheld from the public, then erased six years after each case closed.
    public = {f.id: f.value for f in engine.case_fields(SECOND, None)}
    assert public["subject_name"] == WITHHELD and public["date_notified"] != WITHHELD
    code, said = cli(tmp_path, "2032-04-08T10:00:00+01:00", "retention", "run")
    assert code == 0, said
    assert FIRST in said and SECOND not in said, said  # the first closed in April 2026, the second in December
    assert kept_of(dhr, SECOND) == (1, 1, 2, 2), "nothing of the second erased before its period"
    code, said = cli(tmp_path, "2032-12-08T10:00:00+00:00", "retention", "run")
    assert code == 0 and SECOND in said, said
    assert ("erased date_of_death, subject_name; 1 outside contact, 1 letter, 2 emails, 2 documents' exempt versions"
            in " ".join(said.split())), said
    assert kept_of(dhr, SECOND) == (0, 0, 0, 0)
    with engine.sessions() as session:
        family_row = session.get(CaseContact, family.id)
        letter_row = session.scalars(select(CaseLetter)).one()
        assert family_row is not None and family_row.erased_at is not None and family_row.address is None
        assert letter_row.erased_at is not None and letter_row.pdf_sha256 == letters[0].pdf_sha256  # its tombstone
        personal = [m for m in session.scalars(select(Mail).where(Mail.cycle_id == engine.cycle_id(session, SECOND)))
                    if m.attachments.get("personal") is not False]
        assert personal and all(m.erased_at and m.subject == m.text_body == m.html_body == "" for m in personal)
    assert not (dhr.engine.papers.path_for(letter_row.pdf_sha256)).exists()
    for record in records:
        stored = dhr.documents().path_for(record.pdf_sha256).exists()
        assert stored == (record.version == "public"), (record.title, record.version)
    code, said = cli(tmp_path, "2032-12-08T10:00:00+00:00", "letters", "save", SECOND, str(letter_row.id),
                     "-o", str(tmp_path / "again.pdf"), "--as", COORDINATOR)
    assert code != 0 and "was erased on 2032-12-08 after its case's retention period" in said, said
    code, said = cli(tmp_path, "2032-12-08T10:00:00+00:00", "documents", "verify")
    assert code == 0 and "erased after retention" in said, said
    assert "erase" not in [row["action"] for row in engine.history(strategy)], "a yearly cycle is untouched"
    with engine.sessions() as session:
        assert all(m.erased_at is None and m.subject for m in session.scalars(
            select(Mail).where(Mail.cycle_id == engine.cycle_id(session, strategy))))
    [erase_row] = [row for row in engine.history(SECOND, COORDINATOR) if row["action"] == "erase"]
    assert erase_row["data"]["records"]["letters"] == 1 and erase_row["data"]["records"]["documents"] == 2
    for cycle in (FIRST, SECOND):
        shown = {f.id: f.value for f in engine.case_fields(cycle, COORDINATOR)}
        assert shown["subject_name"] == shown["date_of_death"] == "(erased after the retention period)"
        assert shown["date_notified"] == "6 April 2026"
    code, said = cli(tmp_path, "2032-12-08T10:00:00+00:00", "history", "verify")
    assert code == 0, said
    history = " ".join(str(row) for cycle in (FIRST, SECOND) for row in engine.history(cycle, COORDINATOR))
    assert "Alex Example" not in history and "Sam Sample" not in history


def kept_of(app: App, cycle: str) -> tuple[int, int, int, int]:
    """How many of the case's contacts, letters and emails written with personal values are not erased, and
    how many of its documents' exempt versions still have their PDF."""
    with app.engine.sessions() as session:
        cycle_id = app.engine.cycle_id(session, cycle)
        contacts_kept = session.scalars(select(CaseContact).where(CaseContact.cycle_id == cycle_id,
                                                                  CaseContact.erased_at.is_(None))).all()
        letters_kept = session.scalars(select(CaseLetter).where(CaseLetter.cycle_id == cycle_id,
                                                                CaseLetter.erased_at.is_(None))).all()
        mail_kept = [m for m in session.scalars(select(Mail).where(Mail.cycle_id == cycle_id, Mail.erased_at.is_(None)))
                     if m.attachments.get("personal")]
        exempt = session.scalars(select(Document).where(Document.cycle_id == cycle_id,
                                                        Document.version == "exempt")).all()
    return (len(contacts_kept), len(letters_kept), len(mail_kept),
            sum(1 for d in exempt if app.documents().path_for(d.pdf_sha256).exists()))


def test_the_shipped_review_is_listed_with_the_other_definitions(tmp_path: Path) -> None:
    code, said = cli(tmp_path, "2026-04-07T10:00:00+01:00", "validate")
    assert code == 0, said
    assert "'domestic_homicide_review' version 2, 8 stages, 7 transitions, 2 boards" in said
    assert "'community_safety_strategy'" in said and "'alcohol_pspo_variation'" in said


def test_a_resolution_naming_the_deceased_is_read_only_by_those_who_may_see_the_cases_personal_data(
        dhr: App, tmp_path: Path) -> None:
    engine = dhr.engine
    engine.start(DHR, None, COORDINATOR, fields={"subject_name": "Alex Example", "date_of_death": "2026-03-30",
                                                 "date_notified": "2026-04-06"})
    engine.decide(FIRST, "csp_board", "commission", CLERK, votes_for=BOARD,
                  resolution="That a review be held into the death of Alex Example at 4 Mill Lane",
                  comment="the family of Alex Example were told")
    shown = engine.status(FIRST, COORDINATOR).decisions[0]
    assert "Alex Example" in shown["resolution"] and shown["withheld"] is None
    assert "Alex Example" in engine.history(FIRST, COORDINATOR)[-1]["comment"]
    for reader in ("housing_lead", None):  # a panel agency not entitled to personal data; the public view
        [decision] = engine.status(FIRST, reader).decisions
        assert (decision["resolution"], decision["withheld"], decision["outcome"]) == (None, "personal data",
                                                                                       "carried"), reader
        decided = [h for h in engine.history(FIRST, reader) if h["action"] == "decide"]
        assert [(h["comment"], h["data"]["withheld"]) for h in decided] == [(None, "personal data")], reader
    code, output = cli(tmp_path, "2026-04-07T10:00:00+01:00", "status", FIRST, "--json")
    assert code == 0 and "Alex Example" not in output and '"withheld": "personal data"' in output
    code, output = cli(tmp_path, "2026-04-07T10:00:00+01:00", "history", FIRST, "--as", "housing_lead", "--json")
    assert code == 0 and "Alex Example" not in output
