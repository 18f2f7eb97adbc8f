"""The engine's commands on the embedded database: what is written, and what a refusal leaves."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tests.conftest import DEFINITIONS, SHIPPED_VERSION, make_settings
from tests.helpers import AUTHOR, CLERK, CYCLE, LEAD, carry, counts, cycle_version, meet, paper_file
from workflow.app import App, build
from workflow.errors import (
    CycleFinished,
    DefinitionChanged,
    GateNotMet,
    InvalidInput,
    NotAllowedFromHere,
    NotFound,
    RoleMissing,
    UnknownActor,
    UnknownTrigger,
)
from workflow.player import Player
from workflow.time.clock import SimulatedClock, at_local

SHIPPED = "community_safety_strategy"


@pytest.fixture
def started(app: App) -> App:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    return app


def test_start_records_history_and_events(started: App) -> None:
    status = started.engine.status(CYCLE)
    assert status.stage == "early_findings"
    assert status.due == "2021-07-13"
    history = started.engine.history(CYCLE)
    assert [(h["action"], h["actor"], h["to"]) for h in history] == [("start", AUTHOR, "early_findings")]
    events = [e["type"] for e in started.engine.outbox(CYCLE)]
    assert events == ["CycleStarted", "StageEntered"]


def test_a_cycle_is_started_once_per_year(started: App) -> None:
    with pytest.raises(InvalidInput, match="already exists"):
        started.engine.start(SHIPPED, 2021, AUTHOR)
    started.engine.start(SHIPPED, 2022, AUTHOR)
    assert [c["cycle"] for c in started.engine.list_cycles()] == [CYCLE, "community_safety_strategy-2022"]


def test_only_permitted_roles_start_a_cycle(app: App) -> None:
    with pytest.raises(RoleMissing, match="needs one of the roles report_author"):
        app.engine.start(SHIPPED, 2021, CLERK)
    with pytest.raises(UnknownActor, match="did you mean 'head_of_partnerships'"):
        app.engine.start(SHIPPED, 2021, "head_of_partnership")
    assert counts(app)["cycles"] == 0


def test_unmet_gate_is_refused_with_reasons_and_writes_nothing(started: App) -> None:
    before, version = counts(started), cycle_version(started)
    with pytest.raises(GateNotMet) as refused:
        started.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    message = str(refused.value)
    assert "Strategic assessment - early findings" in message
    assert ("MK Together Management Board has not yet recorded its decision on 'Strategic assessment - early findings'; "
            "Helen Marsh (committee manager) records it") in message
    assert "these papers are not attached yet: 'Strategic assessment - early findings'; Priya Shah (report author) " \
        "attaches it" in message
    assert counts(started) == before
    assert cycle_version(started) == version


def test_trigger_not_allowed_from_this_stage(started: App) -> None:
    before = counts(started)
    with pytest.raises(NotAllowedFromHere) as refused:
        started.engine.fire(CYCLE, "adopt_strategy", AUTHOR)
    # The refusal names both steps by their titles, never their trigger ids.
    assert str(refused.value).startswith("'Safer MK adopts the strategy' cannot be fired")
    assert "from here: 'Early findings discussed at MK Together Management Board'" in str(refused.value)
    assert "discuss_early_findings" not in str(refused.value) and "(adopt_strategy)" not in str(refused.value)
    with pytest.raises(UnknownTrigger, match="did you mean 'adopt_strategy'"):
        started.engine.fire(CYCLE, "adopt_stratgy", AUTHOR)
    assert counts(started) == before


def test_actor_without_the_role_is_refused(started: App, tmp_path: Path) -> None:
    started.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    carry(started, "mk_together", "early_findings")
    before = counts(started)
    with pytest.raises(RoleMissing, match="needs one of the roles report_author"):
        started.engine.fire(CYCLE, "discuss_early_findings", CLERK)
    with pytest.raises(RoleMissing, match="cannot decide"):
        started.engine.decide(CYCLE, "mk_together", "early_findings", AUTHOR, votes_for=["director_policy"])
    assert counts(started) == before


def test_gates_met_move_the_cycle_and_emit_gate_passed(started: App, tmp_path: Path) -> None:
    started.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    carry(started, "mk_together", "early_findings")
    version = cycle_version(started)
    fired = started.engine.fire(CYCLE, "discuss_early_findings", AUTHOR, comment="Discussed on 13 July")
    assert (fired.from_state, fired.to_state) == ("early_findings", "assessment_sign_off")
    assert fired.version == version + 1
    last = started.engine.history(CYCLE)[-1]
    assert last["trigger"] == "discuss_early_findings" and last["comment"] == "Discussed on 13 July"
    assert last["data"]["decisions"], "the history names the decision that passed the gate"
    gate = [e for e in started.engine.outbox(CYCLE) if e["type"] == "GatePassed"]
    assert len(gate) == 1
    assert gate[0]["payload"]["documents"] == ["sign_off_record"]
    assert gate[0]["payload"]["to_stage"] == "assessment_sign_off"


# Each at its own meeting: a second decision at one meeting is refused unless it amends the first.
def test_decision_counts_only_voting_members_and_applies_the_quorum(started: App) -> None:
    engine = started.engine
    engine.clock.set(at_local(dt.date(2021, 9, 16), 10))  # type: ignore[attr-defined]  # after the last meeting
    with pytest.raises(InvalidInput, match="non-voting chair"):
        engine.decide(CYCLE, "safer_mk", "strategic_assessment", CLERK, votes_for=["cabinet_member"])
    with pytest.raises(InvalidInput, match="not a member of the Risk Board"):
        engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK, votes_for=["council_chief_executive"])
    with pytest.raises(InvalidInput, match="did you mean 'strategic_assessment'"):
        engine.decide(CYCLE, "risk_board", "strategic_assesment", CLERK, votes_for=["head_of_partnerships"])
    inquorate = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK,
                              votes_for=["head_of_partnerships", "fire_group_commander"],
                              apologies=["probation_manager"], meeting_date=dt.date(2021, 8, 19))
    assert (inquorate.outcome, inquorate.voting_present, inquorate.quorum) == ("deferred", 2, 3)
    lost = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK,
                         votes_for=["head_of_partnerships"], votes_against=["fire_group_commander", "probation_manager"],
                         abstain=["deputy_director_public_health"], meeting_date=dt.date(2021, 8, 26))
    assert (lost.outcome, lost.votes_for, lost.votes_against, lost.abstentions) == ("lost", 1, 2, 1)
    tied = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK,
                         votes_for=["head_of_partnerships", "fire_group_commander"],
                         votes_against=["probation_manager", "deputy_director_public_health"],
                         meeting_date=dt.date(2021, 9, 2))
    assert tied.outcome == "lost", "with a non-voting chair there is no casting vote: a tie is lost"
    carried = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK,
                            votes_for=["head_of_partnerships", "fire_group_commander", "probation_manager"],
                            present=["police_area_commander"], interests={"probation_manager": "Employed by NPS"},
                            meeting_date=dt.date(2021, 9, 9))
    assert carried.outcome == "carried"
    deferred = engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK,
                             votes_for=["head_of_partnerships", "fire_group_commander", "probation_manager"], defer=True,
                             meeting_date=dt.date(2021, 9, 16))
    assert deferred.outcome == "deferred"


def test_lost_decision_keeps_the_gate_shut(started: App, tmp_path: Path) -> None:
    started.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    meet(started, "mk_together", "early_findings")
    started.engine.decide(CYCLE, "mk_together", "early_findings", CLERK,
                          votes_for=["director_policy"], votes_against=["director_childrens_services", "police_area_commander"])
    with pytest.raises(GateNotMet, match="was lost, not carried"):
        started.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)


def test_attach_stores_the_paper_with_its_hash(started: App, tmp_path: Path) -> None:
    path = paper_file(tmp_path, "sa", "The annual strategic assessment.\n")
    attached = started.engine.attach(CYCLE, "strategic_assessment", path, AUTHOR)
    import hashlib

    assert attached.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert started.engine.papers.get(attached.sha256) == path.read_bytes()
    with pytest.raises(InvalidInput, match="did you mean 'strategic_assessment'"):
        started.engine.attach(CYCLE, "strategic_asessment", path, AUTHOR)
    with pytest.raises(InvalidInput, match="paragraphs 1 to 7"):
        started.engine.attach(CYCLE, "strategic_assessment", path, AUTHOR, exempt=9)


def test_exempt_paper_title_stays_out_of_history_events_and_status(started: App, tmp_path: Path) -> None:
    secret = "Operation NIGHTJAR - named individuals"
    path = paper_file(tmp_path, "annex", f"{secret}\n")
    attached = started.engine.attach(CYCLE, "strategic_assessment", path, AUTHOR, exempt=7, title=secret)
    assert attached.exempt
    public = repr(started.engine.history(CYCLE)) + repr(started.engine.outbox(CYCLE))
    public += repr(started.engine.status(CYCLE))
    assert "NIGHTJAR" not in public
    assert "annex.txt" not in public


def test_strands_open_with_their_stage_and_gate_its_close(app: App, clock: SimulatedClock) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    with pytest.raises(InvalidInput, match="has not opened yet"):
        engine.fire(CYCLE, "launch", LEAD, strand="online_survey")
    definition = engine.catalog.load(SHIPPED)
    player = Player(engine, clock, definition, CYCLE, 2021)
    while engine.status(CYCLE).stage != "consultation":
        player.play_stage(engine.status(CYCLE).stage)
    strands = engine.status(CYCLE).strands
    assert {s["strand"] for s in strands} >= {"online_survey", "community_representatives", "scrutiny_comments"}
    assert all(s["state"] in ("preparing", "planned", "scheduled") for s in strands)
    with pytest.raises(GateNotMet, match="SaferMK Community Safety Survey"):
        engine.fire(CYCLE, "close_consultation", AUTHOR)
    with pytest.raises(NotAllowedFromHere, match="from here: 'Open the survey'"):
        engine.fire(CYCLE, "close", LEAD, strand="online_survey")
    with pytest.raises(RoleMissing):
        engine.fire(CYCLE, "record_comments", LEAD, strand="scrutiny_comments")
    fired = engine.fire(CYCLE, "launch", LEAD, strand="online_survey")
    assert (fired.strand, fired.from_state, fired.to_state) == ("online_survey", "preparing", "open")
    with pytest.raises(InvalidInput, match="did you mean 'online_survey'"):
        engine.fire(CYCLE, "launch", LEAD, strand="online_surveys")


def test_whole_cycle_reaches_adoption_then_refuses_more(app: App, clock: SimulatedClock) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    Player(engine, clock, engine.catalog.load(SHIPPED), CYCLE, 2021).play()
    status = engine.status(CYCLE)
    assert (status.stage, status.status) == ("adopted", "complete")
    stages = [h["to"] for h in engine.history(CYCLE) if h["action"] == "fire" and not h["strand"]]
    assert stages == ["assessment_sign_off", "assessment_presented", "priorities", "consultation",
                      "final_draft_sign_off", "final_draft_agreed", "adoption", "adopted"]
    assert [e["type"] for e in engine.outbox(CYCLE)][-1] == "CycleCompleted"
    with pytest.raises(CycleFinished, match="is complete"):
        engine.fire(CYCLE, "adopt_strategy", AUTHOR)


def test_unknown_cycle_is_named(app: App) -> None:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    with pytest.raises(NotFound, match="did you mean 'community_safety_strategy-2021'"):
        app.engine.status("community_safety_strategy-2012")


def test_running_cycle_keeps_its_definition_version(tmp_path: Path) -> None:
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    settings = make_settings(tmp_path / "data")
    settings = type(settings)(data_dir=settings.data_dir, database_url=settings.database_url, definitions_dir=folder)
    clock = SimulatedClock(at_local(dt.date(2021, 7, 1)))
    app = build(settings, clock=clock)
    try:
        app.engine.start(SHIPPED, 2021, AUTHOR)
        path = folder / f"{SHIPPED}.yaml"
        edited = path.read_text().replace("Early findings of the strategic assessment discussed",
                                          "Early findings presented")
        path.write_text(edited)
        with pytest.raises(DefinitionChanged, match=f"raise its 'version' to {SHIPPED_VERSION + 1}"):
            app.engine.start(SHIPPED, 2022, AUTHOR)
        path.write_text(edited.replace(f"version: {SHIPPED_VERSION}", f"version: {SHIPPED_VERSION + 1}", 1))
        app.engine.start(SHIPPED, 2022, AUTHOR)
        old, new = app.engine.status(CYCLE), app.engine.status("community_safety_strategy-2022")
        assert (old.version, old.stage_title) == (SHIPPED_VERSION, "Early findings of the strategic assessment discussed")
        assert (new.version, new.stage_title) == (SHIPPED_VERSION + 1, "Early findings presented")
    finally:
        app.close()


def test_history_is_append_only(started: App) -> None:
    with started.database.begin() as connection, pytest.raises(DatabaseError, match="append-only"):
        connection.execute(text("UPDATE history SET actor = 'someone else'"))
    with started.database.begin() as connection, pytest.raises(DatabaseError, match="append-only"):
        connection.execute(text("DELETE FROM history"))
    assert started.engine.history(CYCLE)[0]["actor"] == AUTHOR
