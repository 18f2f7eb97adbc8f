"""Minutes of a board meeting, drafted from the decisions recorded: numbering, attendance, the private part,
versions and approval, the command line and the document a member reads."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select, text

from notifications.minutes_document import render_minutes
from tests.agenda_setup import agenda_app
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CLERK, CYCLE, meet, paper_file
from web.cli import main as cycle  # the `cycle` program as installed, with every layer's commands
from workflow.app import App
from workflow.cli import main
from workflow.cli.minutes import FILE_MAX
from workflow.commands.minutes import approve_minutes, draft_minutes, edit_minutes
from workflow.definition.loader import load_definition
from workflow.errors import DefinitionError, InvalidInput, RoleMissing
from workflow.player import Player
from workflow.reads import public
from workflow.reads.minutes import minutes_of
from workflow.store.models import Decision, MinuteNumber, MinutesApproval, MinutesVersion
from workflow.time.clock import SimulatedClock, at_local

__all__ = ["agenda_app"]  # the fixture, for the agenda's exempt item

SEPTEMBER, MARCH = dt.date(2021, 9, 8), dt.date(2022, 3, 9)  # Safer MK's two meetings of the 2021 cycle
JULY = dt.date(2021, 7, 13)  # MK Together, on the early findings
SECRET = "That the review of the death of the person named in the annex be commissioned."


def play(app: App, clock: SimulatedClock, tmp_path: Path, *, exempt: bool = False, annex: bool = False) -> None:
    """The 2021 cycle played to adoption. With `exempt`, the strategic assessment is attached as exempt and is
    the only paper Safer MK considers in September: the item is private business, and the decision's resolution
    one nobody outside the private session may read. With `annex`, the assessment is public and an exempt annex
    goes with it to Safer MK: the item is debated in public, its resolution public."""
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    player = Player(engine, clock, engine.catalog.load(SHIPPED), CYCLE, 2021)
    if exempt:
        engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "assessment", "names"), AUTHOR,
                      exempt=2, stage="assessment_sign_off")
        player._attached.add("strategic_assessment")  # the exempt assessment is the only copy
    if annex:
        engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "annex", "names"), AUTHOR, exempt=2,
                      stage="assessment_presented")
    if exempt or annex:
        player.rehearsal = {"decisions": {"strategic_assessment": {"resolution": SECRET}}}
    player.play()


def test_numbers_continue_from_one_meeting_to_the_next_and_never_change(app: App, clock: SimulatedClock,
                                                                        tmp_path: Path) -> None:
    play(app, clock, tmp_path)
    engine = app.engine
    draft_minutes(engine, "safer_mk", SEPTEMBER, CLERK)
    september = minutes_of(engine, "safer_mk", SEPTEMBER, CLERK)
    assert [(m.number, m.title) for m in september.minutes] == [
        ("SMK1", "DISCLOSURES OF INTEREST"), ("SMK2", "ANNUAL STRATEGIC ASSESSMENT")]
    draft_minutes(engine, "safer_mk", MARCH, CLERK)
    march = minutes_of(engine, "safer_mk", MARCH, CLERK)
    assert [m.number for m in march.minutes] == ["SMK3", "SMK4"], "the second meeting follows the first"
    assert march.minutes[1].resolved == ("That 'Adoption of the Community Safety Strategy' be agreed.",)
    assert march.minutes[1].lead == "RESOLVED -" and march.minutes[1].vote.startswith("Carried: 5 for")
    edit_minutes(engine, "safer_mk", SEPTEMBER, CLERK, {"SMK2": "The Partnership noted the assessment."})
    assert [m.number for m in minutes_of(engine, "safer_mk", SEPTEMBER, CLERK).minutes] == ["SMK1", "SMK2"]


def test_drafting_a_later_meeting_first_numbers_the_earlier_one_first(app: App, clock: SimulatedClock,
                                                                      tmp_path: Path) -> None:
    play(app, clock, tmp_path)
    before = minutes_of(app.engine, "safer_mk", MARCH, CLERK)
    assert (before.status, before.provisional, [m.number for m in before.minutes]) == (
        "not drafted", True, ["SMK3", "SMK4"]), "the numbers the draft will give, September's first"
    draft_minutes(app.engine, "safer_mk", MARCH, CLERK)
    assert [m.number for m in minutes_of(app.engine, "safer_mk", SEPTEMBER, CLERK).minutes] == ["SMK1", "SMK2"]
    assert [m.number for m in minutes_of(app.engine, "safer_mk", MARCH, CLERK).minutes] == ["SMK3", "SMK4"]


def test_attendance_is_listed_by_the_councils_categories(app: App, clock: SimulatedClock, tmp_path: Path) -> None:
    play(app, clock, tmp_path)
    found = minutes_of(app.engine, "safer_mk", SEPTEMBER, CLERK)
    assert found.present[0] == "Cllr Fiona Grant (Responsible Cabinet Member (Milton Keynes Council)) (Chair)"
    assert "Jonathan Ellery (Chief Executive (Milton Keynes Council))" in found.present
    assert found.apologies == ("Paul Jennings (Joint Head of Operations (Thames Valley Community Rehabilitation "
                               "Company))",)
    assert any(p.startswith("Cllr Brian Tate") for p in found.co_opted), "advisors: co-opted without voting rights"
    assert any(p.startswith("Gillian Ford") for p in found.observers)
    assert any(p.startswith("Helen Marsh (Committee Manager") for p in found.officers)
    assert not set(found.present) & set(found.observers + found.officers + found.co_opted + found.apologies)


def test_private_minutes_follow_the_exclusion_resolution_and_only_the_entitled_read_them(
        app: App, clock: SimulatedClock, tmp_path: Path) -> None:
    play(app, clock, tmp_path, exempt=True)
    engine = app.engine
    draft_minutes(engine, "safer_mk", SEPTEMBER, CLERK)
    voting = minutes_of(engine, "safer_mk", SEPTEMBER, "council_chief_executive")
    assert [m.title for m in voting.public] == ["DISCLOSURES OF INTEREST"]
    assert voting.exclusion is not None and voting.exclusion.number == "SMK2"
    assert "by virtue of Paragraph 2 (Information which is likely to reveal the identity of an individual) of " \
           "Part 1 of Schedule 12A of the Local Government Act 1972" in voting.exclusion.resolved[0]
    assert [(m.number, m.resolved) for m in voting.private] == [("SMK3", (SECRET,))]
    document = render_minutes(voting)
    assert SECRET in pdf_text(document.pdf)
    # An observer of the board reads the public minutes and the exclusion, never the private minute.
    observer = minutes_of(engine, "safer_mk", SEPTEMBER, "observer_councillor_a")
    assert (observer.private, observer.withheld) == ((), 1)
    assert observer.exclusion is not None
    for seen in (observer, render_minutes(observer).html, pdf_text(render_minutes(observer).pdf)):
        assert SECRET not in str(seen) and "SMK3" not in str(seen)
    # Another board's member is refused outright.
    with pytest.raises(RoleMissing, match="the minutes of the Safer MK Partnership are for its members"):
        minutes_of(engine, "safer_mk", SEPTEMBER, "community_safety_manager")


def test_every_version_is_kept_with_its_hash_and_approval_freezes_them(app: App, clock: SimulatedClock,
                                                                       tmp_path: Path) -> None:
    play(app, clock, tmp_path)
    engine = app.engine
    first = draft_minutes(engine, "safer_mk", SEPTEMBER, CLERK)
    second = edit_minutes(engine, "safer_mk", SEPTEMBER, CLERK, {"SMK2": "The Partnership noted the assessment."})
    assert (first.version, second.version) == (1, 2)
    with engine.sessions() as session:
        rows = list(session.scalars(select(MinutesVersion).order_by(MinutesVersion.version)))
    for row in rows:
        canonical = json.dumps(row.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    # Each version keeps the complete minutes, not the narratives alone: what was resolved, the vote, who attended.
    saved = rows[1].content
    assert [(m["number"], m["title"], m["narrative"]) for m in saved["public"]] == [
        ("SMK1", "DISCLOSURES OF INTEREST", "None disclosed."),
        ("SMK2", "ANNUAL STRATEGIC ASSESSMENT", "The Partnership noted the assessment.")]
    assert saved["public"][1]["resolved"] and saved["public"][1]["vote"].startswith("Carried: ")
    assert saved["attendance"]["present"][0].startswith("Cllr Fiona Grant") and saved["private"] == []
    assert rows[0].content["narratives"]["decision:3"] == \
        "The Safer MK Partnership considered Annual Strategic Assessment."
    assert rows[1].content["narratives"]["decision:3"] == "The Partnership noted the assessment."
    with pytest.raises(RoleMissing):
        edit_minutes(engine, "safer_mk", SEPTEMBER, "observer_councillor_a", {"SMK2": "Mine."})
    with pytest.raises(InvalidInput, match="have no minute 'SMK9'"):
        edit_minutes(engine, "safer_mk", SEPTEMBER, CLERK, {"SMK9": "Where?"})
    approved = approve_minutes(engine, "safer_mk", SEPTEMBER, CLERK, at=MARCH)
    assert approved.chair == "Cllr Fiona Grant (Responsible Cabinet Member (Milton Keynes Council))"
    found = minutes_of(engine, "safer_mk", SEPTEMBER, CLERK)
    assert (found.status, found.version, found.approved_on) == ("approved", 2, MARCH)
    assert "Signed by the chair: Cllr Fiona Grant" in pdf_text(render_minutes(found).pdf)
    with pytest.raises(InvalidInput, match="were approved on 9 March 2022 and signed by the chair; they can no "
                                           "longer be changed"):
        edit_minutes(engine, "safer_mk", SEPTEMBER, CLERK, {"SMK2": "Rewritten."})
    # The database refuses a further version too, whatever the program does.
    with pytest.raises(Exception, match="approved and signed by the chair"), engine.sessions() as session:
        session.execute(text("INSERT INTO minutes_versions (board, meeting_date, version, content, sha256, saved_by, "
                             "saved_at) VALUES ('safer_mk', '2021-09-08', 3, '{}', 'x', 'x', '2022-03-09')"))
    with pytest.raises(Exception, match="append-only"), engine.sessions() as session:
        session.execute(text("UPDATE minutes_versions SET content = '{}'"))
    # The March minutes now begin by approving September's.
    draft_minutes(engine, "safer_mk", MARCH, CLERK)
    assert minutes_of(engine, "safer_mk", MARCH, CLERK).minutes[0].resolved == (
        "That the Minutes of the Safer MK Partnership held on 8 September 2021 be approved and signed by the "
        "Chair as a correct record.",)


def test_the_document_says_draft_until_approved(app: App, clock: SimulatedClock, tmp_path: Path) -> None:
    play(app, clock, tmp_path)
    draft_minutes(app.engine, "safer_mk", MARCH, CLERK)
    words = pdf_text(render_minutes(minutes_of(app.engine, "safer_mk", MARCH, CLERK)).pdf)
    assert "DRAFT: not yet approved (version 1)" in words
    assert "Minutes of the meeting of the SAFER MK PARTNERSHIP held on" in words
    assert "SMK4 ADOPTION OF THE COMMUNITY SAFETY STRATEGY" in words and "RESOLVED -" in words


def test_the_command_line_drafts_edits_shows_and_approves(tmp_path: Path, app: App, clock: SimulatedClock) -> None:
    play(app, clock, tmp_path)
    env = {"CYCLE_DATA_DIR": str(app.settings.data_dir), "CYCLE_DATABASE_URL": app.settings.database_url or "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2022-03-10T10:00:00+00:00"}
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["minutes", *args], env=env)
        assert "Traceback" not in result.output
        return result.exit_code, " ".join(result.output.split())

    assert run("draft", "safer_mk", "2021-09-08", "--as", CLERK)[0] == 0
    narratives = tmp_path / "minutes.yaml"
    narratives.write_text("SMK2: |\n  The Partnership noted the assessment.\n", encoding="utf-8")
    code, said = run("edit", "safer_mk", "2021-09-08", "--file", str(narratives), "--as", CLERK)
    assert (code, said.split(":")[0]) == (0, "Minutes of 8 September 2021 saved")
    code, said = run("show", "safer_mk", "2021-09-08", "--as", "observer_councillor_a", "--json")
    assert code == 0 and json.loads(said)["public"][1]["narrative"] == "The Partnership noted the assessment."
    assert run("show", "safer_mk", "2021-09-08", "--as", "leader")[0] == 3
    assert run("show", "safer_mk", "2021-09-09", "--as", CLERK)[0] == 1, "no meeting that day"
    assert run("show", "safer_mk", "8 Sept", "--as", CLERK)[0] == 2
    narratives.write_text("- not a mapping\n", encoding="utf-8")
    assert run("edit", "safer_mk", "2021-09-08", "--file", str(narratives), "--as", CLERK)[0] == 3
    # A device, a pipe or a file over the limit is refused at once in a sentence: before, /dev/zero was read
    # until memory ran out. The pipe has no writer: opening or reading it would block.
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"SMK2: " + b"x" * FILE_MAX)
    for given, kind in (("/dev/zero", "is a device, not a regular file"), (str(pipe), "is a pipe, not a regular file"),
                        (str(huge), f"is larger than {FILE_MAX} bytes")):
        began = time.monotonic()
        code, said = run("edit", "safer_mk", "2021-09-08", "--file", given, "--as", CLERK)
        assert (code, said) == (3, f"error: {given} {kind}; give the narratives' YAML file"), said
        assert time.monotonic() - began < 5
    assert run("approve", "safer_mk", "2021-09-08", "--at", "2021-09-08", "--as", CLERK)[0] == 3
    code, said = run("approve", "safer_mk", "2021-09-08", "--at", "2022-03-08", "--as", CLERK)
    assert code == 3 and "has no meeting on 8 March 2022" in said, "the day before the board met"
    code, said = run("approve", "safer_mk", "2021-09-08", "--at", "2022-03-09", "--as", CLERK)
    assert code == 0 and "signed by Cllr Fiona Grant" in said
    narratives.write_text("SMK2: Again.\n", encoding="utf-8")
    code, said = run("edit", "safer_mk", "2021-09-08", "--file", str(narratives), "--as", CLERK)
    assert code == 3 and "they can no longer be changed" in said


def test_a_minute_prefix_that_is_not_capital_letters_is_refused_with_its_line(tmp_path: Path) -> None:
    source = (DEFINITIONS / f"{SHIPPED}.yaml").read_text(encoding="utf-8")
    shutil.copytree(DEFINITIONS / "templates", tmp_path / "templates")
    bad = tmp_path / f"{SHIPPED}.yaml"
    bad.write_text(source.replace("minute_prefix: SMK", "minute_prefix: smk-"), encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_definition(bad)
    line = next(i for i, row in enumerate(bad.read_text().splitlines(), 1) if "minute_prefix" in row)
    assert f"{SHIPPED}.yaml:{line}" in str(refused.value) and "boards.safer_mk.minute_prefix" in str(refused.value)
    assert "'smk-' is not a minute prefix" in str(refused.value)


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_interests_declared_and_officers_present_are_minuted_and_late_business_gets_the_next_number(
        app: App, tmp_path: Path) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    meet(app, "mk_together", "early_findings")
    voting = ["council_chief_executive", "director_childrens_services", "director_policy", "police_area_commander"]
    first = engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=voting,
                          present=["head_of_partnerships", CLERK], apologies=["ccg_chief_operating_officer"],
                          interests={"director_policy": "a trustee of a charity the partnership funds"},
                          resolution="That the early findings be noted.")
    draft_minutes(engine, "mk_together", JULY, CLERK)
    found = minutes_of(engine, "mk_together", JULY, "director_policy")
    assert found.present[0].endswith("(Chair)") and found.present[0].startswith("Jonathan Ellery")
    assert [p.split(" (")[0] for p in found.officers] == ["Priya Shah", "Helen Marsh"]
    assert [p.split(" (")[0] for p in found.apologies] == ["Ruth Calloway"]
    (interests, decision) = found.minutes
    assert interests.interests == ("Claire Dunmore (Director - Policy, Insight and Communications (Milton Keynes "
                                   "Council)) declared an interest in Strategic assessment - early findings: a "
                                   "trustee of a charity the partnership funds",)
    assert (decision.number, decision.resolved) == ("2", ("That the early findings be noted.",))
    # A correction recorded for the meeting after the draft is minuted with the next number; the others stay.
    engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=voting, amends=first.decision_id,
                  reason="the resolution was misquoted", meeting_date=JULY,
                  resolution="That the early findings be noted and published.")
    edit_minutes(engine, "mk_together", JULY, CLERK, {"2": "The Board discussed the early findings."})
    assert [(m.number, m.resolved) for m in minutes_of(engine, "mk_together", JULY, CLERK).minutes] == [
        ("1", ()), ("2", ("That the early findings be noted.",)),
        ("3", ("That the early findings be noted and published.",))]


def test_the_minutes_are_saved_as_a_pdf_from_the_command_line_without_the_private_part_for_an_observer(
        tmp_path: Path, app: App, clock: SimulatedClock) -> None:
    play(app, clock, tmp_path, exempt=True)
    env = {"CYCLE_DATA_DIR": str(app.settings.data_dir), "CYCLE_DATABASE_URL": app.settings.database_url or "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2022-03-10T10:00:00+00:00"}
    runner = CliRunner()
    assert runner.invoke(cycle, ["minutes", "draft", "safer_mk", "2021-09-08", "--as", CLERK], env=env).exit_code == 0
    for reader, shown in (("observer_councillor_a", False), ("council_chief_executive", True)):
        target = tmp_path / f"{reader}.pdf"
        result = runner.invoke(cycle, ["minutes", "save", "safer_mk", "2021-09-08", "--out", str(target), "--as",
                                       reader], env=env)
        assert result.exit_code == 0, result.output
        words = pdf_text(target.read_bytes())
        assert "SMK2 EXCLUSION OF PUBLIC AND PRESS" in words and "DRAFT" in words
        assert (SECRET in words) is shown
    missing = runner.invoke(cycle, ["minutes", "save", "safer_mk", "2021-09-08", "--out", str(tmp_path / "no" / "x.pdf"),
                                    "--as", CLERK], env=env)
    assert missing.exit_code == 1 and "does not exist" in missing.output and "Traceback" not in missing.output


def test_an_item_with_a_public_paper_and_an_exempt_annex_is_minuted_in_public_as_the_public_site_shows_it(
        app: App, clock: SimulatedClock, tmp_path: Path) -> None:
    play(app, clock, tmp_path, annex=True)
    engine = app.engine
    draft_minutes(engine, "safer_mk", SEPTEMBER, CLERK)
    observer = minutes_of(engine, "safer_mk", SEPTEMBER, "observer_councillor_a")
    # The agenda took the annex as its own private "exempt information" item: its minute is for the entitled.
    assert (observer.withheld, observer.private) == (1, ())
    assert observer.exclusion is not None and observer.exclusion.number == "SMK3"
    assert "exempt information" in " ".join(observer.exclusion.resolved)
    assert [(m.number, m.title, m.resolved) for m in observer.public] == [
        ("SMK1", "DISCLOSURES OF INTEREST", ()), ("SMK2", "ANNUAL STRATEGIC ASSESSMENT", (SECRET,))]
    # The public site says the same of the item: debated in public, its resolution published.
    site = public.meeting(engine, "safer_mk", SEPTEMBER.isoformat())
    assert any(i.decision is not None and i.decision.resolution == SECRET for i in site.items)


def test_only_the_boards_own_clerk_drafts_edits_and_approves_and_nothing_is_written_on_refusal(
        app: App, clock: SimulatedClock, tmp_path: Path) -> None:
    play(app, clock, tmp_path, exempt=True)
    engine = app.engine
    draft_minutes(engine, "safer_mk", SEPTEMBER, CLERK)
    # The scrutiny officer may record decisions in the definition but neither organises nor serves Safer MK,
    # and may not read its private minute: they are refused, in one sentence, and nothing is saved.
    with pytest.raises(RoleMissing, match="is not one"):
        minutes_of(engine, "safer_mk", SEPTEMBER, "scrutiny_officer")
    for attempt in (lambda: edit_minutes(engine, "safer_mk", SEPTEMBER, "scrutiny_officer", {"SMK3": "Blind."}),
                    lambda: approve_minutes(engine, "safer_mk", SEPTEMBER, "scrutiny_officer", at=MARCH),
                    lambda: draft_minutes(engine, "safer_mk", MARCH, "scrutiny_officer")):
        with pytest.raises(RoleMissing, match=r"cannot (edit|approve|draft) the minutes of the Safer MK "
                                              r"Partnership: that is for its committee manager"):
            attempt()
    found = minutes_of(engine, "safer_mk", SEPTEMBER, CLERK)
    assert (found.status, found.version, found.private[0].narrative) == (
        "draft", 1, "The Safer MK Partnership considered Annual Strategic Assessment.")
    with engine.sessions() as session:
        assert session.scalar(select(func.count()).select_from(MinutesApproval)) == 0
        assert session.scalar(select(func.count()).select_from(MinuteNumber)
                              .where(MinuteNumber.meeting_date == MARCH)) == 0


def test_approved_minutes_stay_as_signed_and_no_decision_can_be_recorded_for_that_meeting(
        app: App, tmp_path: Path) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    meet(app, "mk_together", "early_findings")
    voting = ["council_chief_executive", "director_childrens_services", "director_policy", "police_area_commander"]
    first = engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=voting,
                          resolution="That the early findings be noted.")
    draft_minutes(engine, "mk_together", JULY, CLERK)
    february = dt.date(2022, 2, 22)
    engine.clock.set(at_local(february, 16))
    approve_minutes(engine, "mk_together", JULY, CLERK, at=february)
    signed = minutes_of(engine, "mk_together", JULY, CLERK)
    assert [m.resolved for m in signed.minutes] == [(), ("That the early findings be noted.",)]
    refused = "the minutes of that meeting were approved on 22 February 2022: record it at a later meeting"
    with pytest.raises(InvalidInput, match=refused):
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=voting, amends=first.decision_id,
                      reason="rewrite history", meeting_date=JULY, resolution="Something never resolved.")
    with pytest.raises(InvalidInput, match=refused):
        engine.decide(CYCLE, "mk_together", "early_findings", CLERK, rescinds=first.decision_id, reason="undo",
                      meeting_date=JULY)
    # Even a decision row written for that day by other means does not change the minutes as signed.
    with engine.unit_of_work() as session:
        row = session.get(Decision, first.decision_id)
        assert row is not None
        session.add(Decision(cycle_id=row.cycle_id, board=row.board, item=row.item, outcome="carried",
                             resolution="Something never resolved.", meeting_date=JULY, votes_for=4,
                             votes_against=0, abstentions=0, voting_present=4, quorum=row.quorum,
                             recorded_by=CLERK, recorded_at=engine.clock.now(), attendees=[], details={}))
    after = minutes_of(engine, "mk_together", JULY, CLERK)
    assert after == signed
    assert "Something never resolved." not in pdf_text(render_minutes(after).pdf)


def test_a_public_items_exempt_annex_is_minuted_on_its_own_in_private_when_the_agenda_took_it_so(
        agenda_app: App) -> None:
    engine = agenda_app.engine
    meet(agenda_app, "mk_together", "early_findings")
    voting = ["council_chief_executive", "director_childrens_services", "director_policy", "police_area_commander"]
    engine.decide(CYCLE, "mk_together", "early_findings", CLERK, votes_for=voting,
                  resolution="That the early findings be noted.")
    draft_minutes(engine, "mk_together", JULY, CLERK)
    member = minutes_of(engine, "mk_together", JULY, "director_policy")
    assert [(m.number, m.title, m.resolved) for m in member.public] == [
        ("1", "DISCLOSURES OF INTEREST", ()),
        ("2", "STRATEGIC ASSESSMENT - EARLY FINDINGS", ("That the early findings be noted.",))]
    assert member.exclusion is not None and member.exclusion.number == "3"
    assert [(m.number, m.title, m.resolved) for m in member.private] == [
        ("4", "STRATEGIC ASSESSMENT - EARLY FINDINGS: EXEMPT INFORMATION", ())]
