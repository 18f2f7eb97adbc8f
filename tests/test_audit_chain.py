"""What the history proves on the embedded database: decisions as recorded, where each cycle stands, an
anchor against truncation and rewriting, and rows sealed with a key the database does not hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.audit_tampering import (
    KEY,
    OTHER_KEY,
    REWRITES,
    anchor,
    decided,
    forged_row,
    keyed,
    verify,
)
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from workflow.app import App
from workflow.store import db
from workflow.store.audit import link


@pytest.fixture
def sealed(app: App, tmp_path: Path) -> Iterator[tuple[App, dict[str, int], Path]]:
    """A cycle recorded by an application holding the audit key; yields it, its ids and the key file."""
    keyed_app = keyed(app, tmp_path)
    ids = decided(keyed_app, tmp_path)
    assert keyed_app.settings.audit_key_file is not None
    yield keyed_app, ids, keyed_app.settings.audit_key_file
    keyed_app.close()


def _tamper(app: App, *statements: str) -> None:
    """What the file's owner can do: drop the append-only triggers (not the chain's), then write."""
    with app.database.begin() as connection:
        names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND name NOT IN ('history_chain', 'decision_rehearsal')")).scalars().all()
        for name in names:
            connection.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            connection.execute(text(statement))


def test_an_untouched_keyed_history_verifies_and_prints_its_anchor(sealed: tuple[App, dict[str, int], Path]) -> None:
    app, _, key_file = sealed
    code, output = verify(app, key_file=key_file)
    assert code == 0, output
    assert app.engine.sealer is not None
    with app.database.connect() as connection:
        last_id, last_hash = connection.execute(text("SELECT id, hash FROM history ORDER BY id DESC")).first() or ()
    assert (f"cycle {CYCLE}: 4 rows, last row {last_id}, hash {last_hash}; rows from 1 on sealed and checked with "
            f"key {app.engine.sealer.key_id}") in output
    assert "✓ 4 history rows in 1 cycle(s) match their hash chain" in output
    code, output = verify(app, "--json", key_file=key_file)
    report = json.loads(output)
    assert (code, report["ok"], report["keyed"], report["rows"]) == (0, True, True, 4)
    assert report["cycles"] == [{"cycle": CYCLE, "rows": 4, "last_row": last_id, "last_hash": last_hash, "sealed": 4,
                                 "first_sealed": 1, "problems": []}]


@pytest.mark.parametrize("scenario", list(REWRITES))
def test_a_changed_decision_or_stage_is_named(sealed: tuple[App, dict[str, int], Path], scenario: str) -> None:
    app, ids, key_file = sealed
    statements, sentence = REWRITES[scenario]
    _tamper(app, *statements)
    code, output = verify(app, key_file=key_file)
    assert code == 1, output
    assert sentence.format(**ids) in " ".join(output.split())
    assert "does not match its hash chain or the tables it records" in " ".join(output.split())
    # Without the key it is named all the same: these checks need no secret.
    code, output = verify(app)
    assert code == 1 and sentence.format(**ids) in " ".join(output.split())


def test_deleting_the_tail_is_named_against_an_earlier_run(sealed: tuple[App, dict[str, int], Path],
                                                           tmp_path: Path) -> None:
    app, _, key_file = sealed
    earlier = anchor(app, tmp_path, key_file)
    # The tail goes, and the cycle is put back where the remaining rows end: the chain alone still holds.
    _tamper(app, "DELETE FROM history WHERE id = (SELECT max(id) FROM history)",
            "UPDATE cycles SET state = 'early_findings'")
    code, output = verify(app, key_file=key_file)
    assert code == 0, output
    code, output = verify(app, "--expect", str(earlier), key_file=key_file)
    assert code == 1
    assert (f"cycle {CYCLE}: has 3 history rows, 1 fewer than the earlier run counted: the tail of its history "
            "was deleted") in " ".join(output.split())


def test_a_history_rewritten_and_rehashed_is_named_against_an_earlier_run(app: App, tmp_path: Path) -> None:
    """Without a key, an owner can recompute the whole chain; the anchor kept outside still tells."""
    decided(app, tmp_path)
    earlier = anchor(app, tmp_path)
    _tamper(app, "UPDATE history SET comment = 'nothing happened' WHERE id = 2")
    with app.database.begin() as connection:
        previous = None
        rows = connection.execute(text("SELECT id, CAST(cycle_id AS TEXT), at, actor, action, trigger, strand, "
                                       "from_state, to_state, comment, CAST(data AS TEXT), CASE WHEN rehearsal "
                                       "THEN 'rehearsal' ELSE 'live' END FROM history ORDER BY id")).all()
        for row_id, *fields in rows:
            previous = link(previous, tuple(fields))
            connection.execute(text("UPDATE history SET hash = :h WHERE id = :id"), {"h": previous, "id": row_id})
    assert verify(app)[0] == 0
    code, output = verify(app, "--expect", str(earlier))
    assert code == 1
    assert "(number 4, row 4) no longer has the hash recorded then" in " ".join(output.split())


@pytest.mark.parametrize(("seal", "sentence"), [
    (None, "has no seal though the rows from 1 on are sealed: it was not written by the application"),
    ("{key_id}:0011223344556677:" + "ab" * 32, "does not match its seal: the row was changed, or written by "
                                               "someone without the audit key"),
    ("0badc0de:0011223344556677:" + "ab" * 32, "is sealed with a key not in the key file (id 0badc0de"),
])
def test_a_row_forged_without_the_key_is_named(sealed: tuple[App, dict[str, int], Path], seal: str | None,
                                               sentence: str) -> None:
    app, _, key_file = sealed
    assert app.engine.sealer is not None
    # Through the application's own connection: the chain trigger hashes it as it would any row.
    with app.database.begin() as connection:
        connection.execute(text(forged_row(seal and seal.format(key_id=app.engine.sealer.key_id), embedded=True)))
    code, output = verify(app, key_file=key_file)
    assert code == 1, output
    assert f"cycle {CYCLE}: history row 5 {sentence}" in " ".join(output.split())


def test_a_sealed_row_copied_is_named(sealed: tuple[App, dict[str, int], Path]) -> None:
    app, _, key_file = sealed
    with app.database.begin() as connection:
        connection.execute(text(
            "INSERT INTO history (cycle_id, at, actor, action, trigger, strand, from_state, to_state, comment, data, "
            "seal) SELECT cycle_id, at, actor, action, trigger, strand, from_state, to_state, comment, data, seal "
            "FROM history WHERE id = 2"))
    code, output = verify(app, key_file=key_file)
    assert code == 1
    assert "history row 5 repeats the seal of row 2: it is a copy of that row" in " ".join(output.split())


def test_verify_with_another_key_names_every_sealed_row_and_a_retired_key_still_verifies(sealed: tuple[App, dict[str, int], Path],
                                                        tmp_path: Path) -> None:
    app, _, _ = sealed
    other = tmp_path / "other.key"
    other.write_bytes(OTHER_KEY)
    code, output = verify(app, key_file=other)
    assert code == 1
    assert " ".join(output.split()).count("is sealed with a key not in the key file") == 4
    # The new key first, the retired one after it: the old seals verify, new rows take the new key.
    rotated = tmp_path / "rotated.key"
    rotated.write_bytes(OTHER_KEY + b"\n" + KEY + b"\n")
    keyed_app = keyed(app, tmp_path, OTHER_KEY + b"\n" + KEY, name="rotated.key")
    try:
        keyed_app.engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa"), AUTHOR)
        code, output = verify(keyed_app, key_file=rotated)
        assert code == 0, output
        assert keyed_app.engine.sealer is not None
        with keyed_app.database.connect() as connection:
            seals = connection.execute(text("SELECT seal FROM history ORDER BY id")).scalars().all()
        assert [s.split(":")[0] == keyed_app.engine.sealer.key_id for s in seals] == [False] * 4 + [True]
    finally:
        keyed_app.close()


def test_rows_from_before_the_key_keep_verifying_across_the_upgrade(app: App, tmp_path: Path) -> None:
    """A database from before revision 0006c: its hashes are unchanged by it, and keyed rows follow on."""
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    carry(app, "mk_together", "early_findings")
    with app.database.connect() as connection:
        before = connection.execute(text("SELECT id, hash FROM history ORDER BY id")).all()
    db_downgrade(app)  # back to the schema before the seal
    db.upgrade(app.database)
    with app.database.connect() as connection:
        assert connection.execute(text("SELECT id, hash FROM history ORDER BY id")).all() == before
    keyed_app = keyed(app, tmp_path)
    try:
        keyed_app.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
        code, output = verify(keyed_app, key_file=keyed_app.settings.audit_key_file)
        assert code == 0, output
        assert "4 rows" in output and "rows from 4 on sealed and checked with key" in output
        code, output = verify(keyed_app)  # without the key: the seals are said to be unchecked
        assert code == 0 and "rows from 4 on sealed, seals not checked (no key)" in output
    finally:
        keyed_app.close()


def db_downgrade(app: App) -> None:
    from alembic import command

    command.downgrade(db.alembic_config(app.database), "0005f")


def test_strands_are_held_against_their_history_and_a_whole_cycle_verifies(app: App, tmp_path: Path) -> None:
    """A keyed cycle played through its consultation: no false alarm on a long, varied history; a strand
    moved by hand is named, whether it has history rows of its own or not."""
    from workflow.player import Player

    keyed_app = keyed(app, tmp_path)
    try:
        engine = keyed_app.engine
        engine.start("community_safety_strategy", 2021, AUTHOR)
        player = Player(engine, engine.clock, engine.catalog.load("community_safety_strategy"), CYCLE, 2021)
        while engine.status(CYCLE).stage != "consultation":
            player.play_stage(engine.status(CYCLE).stage)
        engine.fire(CYCLE, "launch", "community_safety_manager", strand="online_survey")
        key_file = keyed_app.settings.audit_key_file
        code, output = verify(keyed_app, key_file=key_file)
        assert code == 0, output
        _tamper(keyed_app, "UPDATE strands SET state = 'closed' WHERE strand = 'online_survey'",
                "UPDATE strands SET state = 'done' WHERE strand = 'scrutiny_comments'")
        code, output = verify(keyed_app, key_file=key_file)
        said = " ".join(output.split())
        assert code == 1
        assert "strand 'online_survey' is at 'closed' but its history ends at 'open'" in said
        assert "strand 'scrutiny_comments' is at 'done' but its history ends at 'scheduled'" in said
    finally:
        keyed_app.close()


def test_an_amendment_and_a_rescission_are_held_to_what_they_recorded(
        sealed: tuple[App, dict[str, int], Path]) -> None:
    from tests.helpers import CLERK

    app, ids, key_file = sealed
    amended = app.engine.decide(
        CYCLE, "mk_together", "early_findings", CLERK, amends=ids["decision"], reason="The vote was misrecorded",
        votes_for=["council_chief_executive", "director_childrens_services", "director_policy",
                   "police_area_commander"], resolution="That the early findings be noted.")
    rescinded = app.engine.decide(CYCLE, "mk_together", "early_findings", CLERK, rescinds=amended.decision_id,
                                  reason="Superseded by the full assessment")
    assert verify(app, key_file=key_file)[0] == 0
    _tamper(app, f"UPDATE decisions SET details = json_set(details, '$.reason', 'No reason') "
                 f"WHERE id IN ({amended.decision_id}, {rescinded.decision_id})")
    code, output = verify(app, key_file=key_file)
    said = " ".join(output.split())
    assert code == 1
    for decision_id in (amended.decision_id, rescinded.decision_id):
        assert (f"decision {decision_id} (mk_together, 'early_findings') was changed after history row"
                in said)
    assert said.count("(changed: board, item, recorder, priorities or what it amends)") == 2


def test_an_expect_file_that_is_not_an_earlier_run_is_refused_in_a_sentence(app: App, tmp_path: Path) -> None:
    decided(app, tmp_path)
    wrong = tmp_path / "notes.txt"
    wrong.write_text("last hash: abc\n", encoding="utf-8")
    for given, sentence in ((wrong, "is not the output of 'cycle history verify --json'"),
                            (tmp_path / "missing.json", "cannot be read (No such file or directory)")):
        code, output = verify(app, "--expect", str(given))
        assert code != 0 and sentence in " ".join(output.split())
        assert "Traceback" not in output
