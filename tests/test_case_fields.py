"""Case data: fields declared by a definition, checked on the way in, read by gates and templates, hidden
from those not entitled to the case, and erased after retention with the audit chain still verifying."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.conftest import make_settings
from workflow.app import App, build
from workflow.commands.retention import Erased
from workflow.definition.case_fields import WITHHELD
from workflow.errors import FieldValuesInvalid, GateNotMet, RoleMissing
from workflow.reads.audit_report import verify
from workflow.store.models import CaseFieldValue, HistoryEntry
from workflow.time.clock import SimulatedClock, at_local

DATA = Path(__file__).resolve().parent / "data"
OFFICER, CLERK, CHAIR, OBSERVER = "officer_a", "clerk_b", "chair_c", "observer_d"
CYCLE = "case_review-2026"
START = {"subject_name": "Alex Example", "date_of_death": "2026-03-14"}


def folder(tmp_path: Path) -> Path:
    """A definitions folder holding the case review and its templates."""
    defs = tmp_path / "definitions"
    defs.mkdir()
    shutil.copy(DATA / "case_review.yaml", defs / "case_review.yaml")
    shutil.copytree(DATA / "templates", defs / "templates")
    return defs


@pytest.fixture
def case_app(tmp_path: Path) -> Iterator[App]:
    settings = replace(make_settings(tmp_path), definitions_dir=folder(tmp_path))
    built = build(settings, clock=SimulatedClock(at_local(dt.date(2026, 4, 7), 9)))
    yield built
    built.close()


def started(app: App, **extra: str) -> str:
    app.engine.start("case_review", 2026, OFFICER, fields={**START, **extra})
    return CYCLE


def test_start_refuses_every_bad_value_at_once_and_writes_nothing(case_app: App) -> None:
    with pytest.raises(FieldValuesInvalid) as refused:
        case_app.engine.start("case_review", 2026, OFFICER, fields={
            "date_of_death": "14/03/2026", "family_contact_email": "not an address", "panel_size": "three",
            "review_kind": "long"})
    problems = refused.value.problems
    assert problems["subject_name"] == "Enter name of the person who died: it is needed to start"
    assert problems["date_of_death"].startswith("Date of death must be a real date written as year-month-day")
    assert problems["family_contact_email"].startswith("Family contact's email must be an email address")
    assert problems["panel_size"] == "Panel size must be a number, like 3 or 2.5"
    assert problems["review_kind"] == "Kind of review must be one of: full, short"
    assert case_app.engine.list_cycles() == []


def test_values_are_stored_checked_and_shown_to_the_entitled_only(case_app: App) -> None:
    started(case_app, family_contact_email="Family@Example.org ", review_kind="full")
    officer = {f.id: f.value for f in case_app.engine.case_fields(CYCLE, OFFICER)}
    assert officer["subject_name"] == "Alex Example"
    assert officer["date_of_death"] == "14 March 2026"
    assert officer["family_contact_email"] == "Family@example.org"  # the domain as email-validator normalises it
    assert officer["review_kind"] == "full"
    for reader in (OBSERVER, None):  # an observer of the panel sits in public session only; the public
        seen = {f.id: f.value for f in case_app.engine.case_fields(CYCLE, reader)}
        assert seen["subject_name"] == seen["date_of_death"] == seen["family_contact_email"] == WITHHELD
        assert seen["review_kind"] == "full"
    chair = {f.id: f.value for f in case_app.engine.status(CYCLE, CHAIR).fields}  # the panel's voting chair
    assert chair["subject_name"] == "Alex Example"
    assert {f.id: f.value for f in case_app.engine.status(CYCLE).fields}["subject_name"] == WITHHELD


def test_history_holds_a_keyed_digest_of_personal_values_never_the_value(case_app: App) -> None:
    started(case_app, review_kind="short")
    rows = [h for h in case_app.engine.history(CYCLE, OFFICER) if h["action"] == "fields"]
    assert len(rows) == 1
    recorded = rows[0]["data"]["fields"]
    assert recorded["review_kind"] == "short"
    assert set(recorded["subject_name"]) == {"hmac-sha256"}
    with case_app.engine.sessions() as session:
        texts = [str(h.data) + (h.comment or "") for h in session.scalars(select(HistoryEntry))]
    assert not any("Alex Example" in t or "2026-03-14" in t for t in texts)


def test_setting_fields_needs_the_fields_permission(case_app: App) -> None:
    started(case_app)
    assert case_app.engine.set_fields(CYCLE, {"panel_size": "4"}, CLERK) == ["panel_size"]
    with pytest.raises(RoleMissing, match="chair_c cannot fields on 'case_review'"):
        case_app.engine.set_fields(CYCLE, {"panel_size": "5"}, CHAIR)
    with pytest.raises(FieldValuesInvalid, match="There is no field 'panel'"):
        case_app.engine.set_fields(CYCLE, {"panel": "5"}, CLERK)
    assert {f.id: f.value for f in case_app.engine.case_fields(CYCLE)}["panel_size"] == "4"


def test_gates_read_fields_and_a_stage_waits_for_its_required_ones(case_app: App) -> None:
    engine = case_app.engine
    started(case_app)
    with pytest.raises(GateNotMet, match="'Panel size' is not set"):
        engine.fire(CYCLE, "commission", OFFICER)
    engine.set_fields(CYCLE, {"panel_size": "2"}, OFFICER)
    engine.fire(CYCLE, "commission", OFFICER)
    with pytest.raises(GateNotMet) as refused:
        engine.fire(CYCLE, "write_report", OFFICER)
    assert refused.value.reasons == ["'Panel size' is 2, and it must be at least 3",  # the same reason once
                                     "'Report due' is not set; someone who may set the case's fields sets it"]
    engine.set_fields(CYCLE, {"panel_size": "3", "report_due": "2026-01-01"}, OFFICER)
    with pytest.raises(GateNotMet, match="'Report due' is 1 January 2026, and it must be at least 'Date of death'"):
        engine.fire(CYCLE, "write_report", OFFICER)
    engine.set_fields(CYCLE, {"report_due": "2026-09-30"}, OFFICER)
    engine.fire(CYCLE, "write_report", OFFICER)
    with pytest.raises(GateNotMet, match=r"'Report due' is 30 September 2026, and it must be at most today \(2026-04-07\)"):
        engine.fire(CYCLE, "close", OFFICER)
    engine.clock.set(at_local(dt.date(2026, 10, 1), 9))  # type: ignore[attr-defined]
    assert engine.fire(CYCLE, "close", OFFICER).to_state == "closed"


def close(app: App) -> None:
    engine = app.engine
    engine.set_fields(CYCLE, {"panel_size": "3", "report_due": "2026-05-01"}, OFFICER)
    engine.fire(CYCLE, "commission", OFFICER)
    engine.fire(CYCLE, "write_report", OFFICER)
    engine.clock.set(at_local(dt.date(2026, 5, 4), 9))  # type: ignore[attr-defined]
    engine.fire(CYCLE, "close", OFFICER)


def test_retention_erases_personal_fields_and_the_history_still_verifies(case_app: App) -> None:
    engine = case_app.engine
    started(case_app, family_contact_email="family@example.org")
    close(case_app)
    assert engine.retention_run() == []  # closed today: kept two years
    engine.clock.set(at_local(dt.date(2028, 5, 3), 9))  # type: ignore[attr-defined]
    assert engine.retention_run() == []
    engine.clock.set(at_local(dt.date(2028, 5, 4), 9))  # type: ignore[attr-defined]
    assert engine.retention_run() == [Erased(CYCLE, ["date_of_death", "family_contact_email", "subject_name"])]
    assert engine.retention_run() == []  # nothing left to erase
    with engine.sessions() as session:
        rows = {r.name: r for r in session.scalars(select(CaseFieldValue))}
    assert rows["subject_name"].value is None and rows["subject_name"].salt is None
    assert rows["report_due"].value == "2026-05-01"  # not personal: kept
    shown = {f.id: f.value for f in engine.case_fields(CYCLE, OFFICER)}
    assert shown["subject_name"] == "(erased after the retention period)"
    assert engine.history(CYCLE)[-1]["action"] == "erase"
    assert verified(case_app) == []


def verified(app: App) -> list[str]:
    """What `cycle history verify` finds wrong: nothing, for a history the application wrote."""
    with app.engine.sessions() as session:
        return verify(app.engine, session, sealer=app.engine.sealer,
                      definition_of=lambda d, v: app.engine.catalog.snapshot(session, d, v)).problems


def test_verify_names_a_field_changed_outside_the_commands(case_app: App) -> None:
    started(case_app, review_kind="full")
    case_app.engine.set_fields(CYCLE, {"panel_size": "3"}, OFFICER)
    assert verified(case_app) == []
    with case_app.database.begin() as connection:
        connection.execute(text("UPDATE case_fields SET value = 'Someone Else' WHERE name = 'subject_name'"))
        connection.execute(text("UPDATE case_fields SET value = 'short' WHERE name = 'review_kind'"))
        connection.execute(text("DELETE FROM case_fields WHERE name = 'panel_size'"))
    problems = verified(case_app)
    assert [p.split(": ", 1)[1].split(" was ")[0].split(", recorded")[0] for p in problems] == [
        "field 'review_kind'", "field 'subject_name'", "field 'panel_size'"]
    assert all(p.startswith(f"cycle {CYCLE}: field ") for p in problems)
    assert "Someone Else" not in " ".join(problems)


def test_a_gate_on_a_personal_field_names_the_field_never_its_value(case_app: App) -> None:
    engine = case_app.engine
    started(case_app)
    engine.set_fields(CYCLE, {"panel_size": "3", "report_due": "2026-12-31", "date_of_death": "2026-12-01"}, OFFICER)
    engine.fire(CYCLE, "commission", OFFICER)
    with pytest.raises(GateNotMet) as refused:
        engine.fire(CYCLE, "write_report", OFFICER)
    assert refused.value.reasons == ["'Date of death' must be at most today (2026-04-07)"]
    for reader in (OFFICER, OBSERVER, None):  # what the cycle page, the API and `cycle status` show everyone
        blocked = next(a.blocked_by for a in engine.status(CYCLE, reader).actions if a.trigger == "write_report")
        assert blocked == ["'Date of death' must be at most today (2026-04-07)"]
    said = str(refused.value) + " ".join(refused.value.reasons)
    assert "1 December 2026" not in said and "2026-12-01" not in said
    engine.set_fields(CYCLE, {"report_due": "2026-01-01", "date_of_death": "2026-03-14"}, OFFICER)
    with pytest.raises(GateNotMet) as refused:  # a value that is not personal may still be named
        engine.fire(CYCLE, "write_report", OFFICER)
    assert refused.value.reasons == ["'Report due' is 1 January 2026, and it must be at least 'Date of death'"]
