"""Instances of a definition: one cycle a year, or many cases at once each keyed by its reference."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from tests.instances_setup import case_app, case_folder
from workflow.app import App
from workflow.cli import main
from workflow.definition.loader import parse_definition
from workflow.errors import DefinitionError, InvalidInput
from workflow.store.models import Cycle, HistoryEntry

OFFICER = "officer_a"
RACE = (Path(__file__).resolve().parent / "data" / "race.yaml").read_text(encoding="utf-8")


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[App]:
    built = case_app(tmp_path)
    yield built
    built.close()


def problems_of(instances: str) -> list[tuple[int | None, str, str]]:
    text = RACE.replace("cycle:\n", f"{instances}\ncycle:\n", 1)
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text, "race.yaml")
    return [(p.line, p.field, p.message) for p in raised.value.problems]


@pytest.mark.parametrize(("pattern", "words"), [
    ("RV-{year}", "names {seq} exactly once"),
    ("RV-{seq}-{seq}", "names {seq} exactly once"),
    ("{year}-{seq:03}", "needs a letter outside the braces"),
    ("RV-{seq:>5}", "has a format a reference cannot use"),
    ("RV {year}-{seq}", "not a usable reference"),
    ("RV-{year", "is not a reference pattern"),
])
def test_a_reference_pattern_the_engine_cannot_number_is_refused_on_its_line(pattern: str, words: str) -> None:
    found = problems_of(f'instances: cases\nreference: "{pattern}"')
    assert len(found) == 1, found
    line, field, message = found[0]
    assert (line, field) == (6, "reference")
    assert words in message


def test_yearly_is_the_default_and_cases_read_their_pattern() -> None:
    assert not parse_definition(RACE).instances.cases
    numbered = parse_definition(RACE.replace("cycle:\n", 'instances: cases\nreference: "RV-{year}-{seq:03}"\ncycle:\n'))
    assert numbered.instances.numbered and numbered.instances.sequence_by_year
    plain = parse_definition(RACE.replace("cycle:\n", 'instances: cases\nreference: "RV-{seq:04}"\ncycle:\n'))
    assert plain.instances.numbered and not plain.instances.sequence_by_year
    typed = parse_definition(RACE.replace("cycle:\n", "instances: cases\nreference: typed\ncycle:\n"))
    assert typed.instances.typed


def test_cases_are_numbered_by_the_database_per_year_and_run_side_by_side(cases: App) -> None:
    engine = cases.engine
    first = engine.start("cases", None, OFFICER)  # the year defaults to the clock's: 2026
    second = engine.start("cases", None, OFFICER)
    earlier = engine.start("cases", 2025, OFFICER)
    assert (first.cycle, second.cycle, earlier.cycle) == ("TST-2026-001", "TST-2026-002", "TST-2025-001")
    moved = engine.fire("TST-2026-002", "decide_review", OFFICER)  # a command takes the reference
    assert moved.to_state == "report"
    assert engine.status("TST-2026-001").stage == "notified"
    with engine.sessions() as session:
        rows = {c.key: (c.reference, c.year) for c in session.scalars(select(Cycle))}
        start = session.scalars(select(HistoryEntry).where(HistoryEntry.action == "start")).first()
    assert rows["TST-2026-002"] == ("TST-2026-002", 2026) and rows["TST-2025-001"] == ("TST-2025-001", 2025)
    assert start is not None and start.data["reference"] == "TST-2026-001"


def test_a_typed_reference_is_checked_and_one_in_use_is_refused_naming_its_case(cases: App) -> None:
    engine = cases.engine
    assert engine.start("typed_cases", None, OFFICER, reference="DHR-SMK-01").cycle == "DHR-SMK-01"
    with pytest.raises(InvalidInput, match=r"DHR-SMK-01 is already in use by DHR-SMK-01, a case of 'typed_cases' "
                                           r"started on Mon 2 Mar 2026 by officer_a; give another reference"):
        engine.start("typed_cases", None, OFFICER, reference="DHR-SMK-01")
    with pytest.raises(InvalidInput, match="is started with its reference: give it with --reference"):
        engine.start("typed_cases", None, OFFICER)
    with pytest.raises(InvalidInput, match="'DHR 2' is not a usable reference"):
        engine.start("typed_cases", None, OFFICER, reference="DHR 2")
    with pytest.raises(InvalidInput, match="only digits"):
        engine.start("typed_cases", None, OFFICER, reference="2026")
    with pytest.raises(InvalidInput, match=r"numbers its cases itself \(TST-\{year\}-\{seq:03\}\): leave out"):
        engine.start("cases", None, OFFICER, reference="TST-9")
    with engine.sessions() as session:
        assert list(session.scalars(select(Cycle.key))) == ["DHR-SMK-01"]


def test_starts_at_once_on_sqlite_never_share_a_number(cases: App) -> None:
    started: list[str] = []
    errors: list[BaseException] = []

    def start_three() -> None:
        for _ in range(3):
            try:
                started.append(cases.engine.start("cases", 2026, OFFICER).cycle)
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=start_three) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(started) == [f"TST-2026-{n:03}" for n in range(1, 13)]


def cli_in(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(case_folder(tmp_path / "definitions")),
           "CYCLE_NOW": "2026-03-02T10:00:00+00:00"}

    def run(*args: str, now: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **({"CYCLE_NOW": now} if now else {})})

    return run


def test_the_cli_starts_cases_and_lists_the_register_with_exempt_cases_counted_only(tmp_path: Path) -> None:
    cli = cli_in(tmp_path)
    assert "Started TST-2026-001 at 'notified'" in cli("start", "cases", "--as", OFFICER).output
    assert "Started TST-2026-002" in cli("start", "cases", "--as", OFFICER).output
    assert cli("start", "typed_cases", "--reference", "DHR-A", "--as", OFFICER).exit_code == 0
    refused = cli("start", "typed_cases", "--reference", "DHR-A", "--as", OFFICER)
    assert refused.exit_code != 0 and "already in use by DHR-A" in refused.stderr and "Traceback" not in refused.output
    assert cli("fire", "TST-2026-002", "decide_review", "--as", OFFICER).exit_code == 0
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n%private\n")
    attached = cli("attach", "TST-2026-002", "review_report", str(report), "--as", OFFICER, "--exempt", "2")
    assert attached.exit_code == 0, attached.output
    later = "2026-03-20T10:00:00+00:00"  # TST-2026-001 was due on 9 March, TST-2026-002 on 16 March

    public = cli("list", "cases", now=later)
    assert public.exit_code == 0, public.output
    assert "TST-2026-001" in public.output and "9 working days" in public.output
    assert "TST-2026-002" not in public.output
    assert "1 more is at a stage whose papers are exempt (Schedule 12A), shown only to those entitled: 4 working " \
           "days late." in " ".join(public.output.split())
    observer = json.loads(cli("list", "cases", "--as", "observer_a", "--json", now=later).output)
    assert [i["cycle"] for i in observer["instances"]] == ["TST-2026-001"]
    assert observer["withheld"] == {"count": 1, "days_late": [4]}
    member = json.loads(cli("list", "cases", "--as", "member_a", "--json", now=later).output)
    assert [(i["cycle"], i["stage"], i["due"], i["days_late"]) for i in member["instances"]] == [
        ("TST-2026-001", "notified", "2026-03-09", 9), ("TST-2026-002", "report", "2026-03-16", 4)]
    assert member["withheld"] == {"count": 0, "days_late": []}

    verified = cli("history", "verify")  # a case's key is its reference: the audit holds it to that
    assert verified.exit_code == 0, verified.output
    every = cli("list")  # without a definition: every cycle, but not a case at its private stage (as the register)
    assert every.exit_code == 0 and "DHR-A" in every.output and "TST-2026-001" in every.output
    assert "TST-2026-002" not in every.output
    assert "TST-2026-002" in cli("list", "--as", "member_a").output  # entitled to the review board's exempt papers
    unknown = cli("list", "cases", "--as", "nobody")
    assert unknown.exit_code != 0 and "'nobody' is not in the directory of 'cases'" in unknown.stderr


def test_a_yearly_definition_still_has_one_cycle_a_year(app: App) -> None:
    app.engine.start("community_safety_strategy", 2021, "head_of_partnerships")
    with pytest.raises(InvalidInput, match="a cycle of 'community_safety_strategy' for 2021 already exists: "
                                           "community_safety_strategy-2021"):
        app.engine.start("community_safety_strategy", 2021, "head_of_partnerships")
    with pytest.raises(InvalidInput, match="runs one cycle a year: give the year it begins with --year"):
        app.engine.start("community_safety_strategy", None, "head_of_partnerships")
    with pytest.raises(InvalidInput, match="keys its cycles by their year: leave out --reference"):
        app.engine.start("community_safety_strategy", 2022, "head_of_partnerships", reference="CSS-1")


def test_a_reference_changed_outside_the_commands_is_named_by_the_audit(cases: App) -> None:
    from sqlalchemy import text

    from workflow.reads.audit_report import verify

    engine = cases.engine
    engine.start("cases", None, OFFICER)
    with engine.sessions() as session:
        clean = verify(engine, session, definition_of=lambda d, v: engine.catalog.snapshot(session, d, v)).as_json()
    assert clean["ok"], clean
    with cases.database.begin() as connection:  # a yearly-looking row slipped past the one-a-year rule by hand
        connection.execute(text("UPDATE cycles SET reference = NULL, key = 'cases-2026'"))
    with engine.sessions() as session:
        found = verify(engine, session, definition_of=lambda d, v: engine.catalog.snapshot(session, d, v)).as_json()
    problems = [p for c in found["cycles"] for p in c["problems"]]
    assert any("has the reference (none) but history row 1 (start) recorded TST-2026-001" in p for p in problems), problems


def test_a_typed_reference_in_another_definitions_form_is_refused_and_never_blocks_its_numbers(cases: App) -> None:
    from sqlalchemy import text

    engine = cases.engine
    assert engine.start("cases", None, OFFICER).cycle == "TST-2026-001"
    for form in ("TST-2026-002", "tst-2031-9"):  # what `cases` would number next, or some day
        with pytest.raises(InvalidInput, match="has the form of the references another definition numbers itself"):
            engine.start("typed_cases", None, OFFICER, reference=form)
    for form in ("cases-2027", "typed_cases-2026"):  # a yearly cycle's key, of any definition
        with pytest.raises(InvalidInput, match="has the form of a yearly cycle's key"):
            engine.start("typed_cases", None, OFFICER, reference=form)
    assert engine.start("cases", None, OFFICER).cycle == "TST-2026-002"  # no number was lost to a refusal

    # A case typed before references were checked holds the next number: it is passed over.
    engine.start("typed_cases", None, OFFICER, reference="OLD-1")
    with cases.database.begin() as connection:
        connection.execute(text("UPDATE cycles SET key = 'TST-2026-003', reference = 'TST-2026-003' "
                                "WHERE key = 'OLD-1'"))
    assert engine.start("cases", None, OFFICER).cycle == "TST-2026-004"
    assert engine.start("cases", None, OFFICER).cycle == "TST-2026-005"


def test_a_reference_in_use_by_another_definition_is_refused_without_naming_its_case(cases: App) -> None:
    from sqlalchemy import text

    engine = cases.engine
    engine.start("cases", None, OFFICER)
    with cases.database.begin() as connection:  # a key of another definition in a form typed references may take
        connection.execute(text("UPDATE cycles SET key = 'DHR-SMK-09', reference = 'DHR-SMK-09'"))
    with pytest.raises(InvalidInput) as refused:
        engine.start("typed_cases", None, OFFICER, reference="DHR-SMK-09")
    said = str(refused.value)
    assert said == "DHR-SMK-09 is already in use; nothing was started; give another reference"
    assert "cases'" not in said and OFFICER not in said and "2026" not in said
