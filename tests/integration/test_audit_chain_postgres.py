"""What the history proves on PostgreSQL, against an owner who turns the append-only triggers off and an
application role that can insert: decisions as recorded, where each cycle stands, the anchor, the seal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.audit_tampering import REWRITES, anchor, decided, forged_row, keyed, verify
from tests.helpers import CYCLE
from workflow.app import App

APPEND_ONLY = ("history", "decisions", "decision_attendees")


@pytest.fixture
def sealed(pg_app: App, tmp_path: Path) -> Iterator[tuple[App, dict[str, int], Path]]:
    keyed_app = keyed(pg_app, tmp_path)
    ids = decided(keyed_app, tmp_path)
    assert keyed_app.settings.audit_key_file is not None
    yield keyed_app, ids, keyed_app.settings.audit_key_file
    keyed_app.close()


def _tamper(app: App, *statements: str) -> None:
    """The owner turns the append-only triggers off (the chain's stays on), writes, and turns them back on."""
    with app.database.begin() as connection:
        for table in APPEND_ONLY:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        for statement in statements:
            connection.execute(text(statement))
        for table in APPEND_ONLY:
            connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))


def test_an_untouched_keyed_history_verifies_with_its_anchor(sealed: tuple[App, dict[str, int], Path]) -> None:
    app, _, key_file = sealed
    code, output = verify(app, "--json", key_file=key_file)
    report = json.loads(output)
    assert (code, report["ok"], report["keyed"]) == (0, True, True)
    [cycle] = report["cycles"]
    with app.database.connect() as connection:
        first, last, last_hash = connection.execute(text(
            "SELECT min(id), max(id), (SELECT hash FROM history ORDER BY id DESC LIMIT 1) FROM history")).one()
    assert cycle == {"cycle": CYCLE, "rows": 4, "last_row": last, "last_hash": last_hash, "sealed": 4,
                     "first_sealed": first, "problems": []}


@pytest.mark.parametrize("scenario", list(REWRITES))
def test_a_changed_decision_or_stage_is_named(sealed: tuple[App, dict[str, int], Path], scenario: str) -> None:
    app, ids, key_file = sealed
    statements, sentence = REWRITES[scenario]
    _tamper(app, *statements)
    code, output = verify(app, key_file=key_file)
    assert code == 1, output
    assert sentence.format(**ids) in " ".join(output.split())


def test_deleting_the_tail_is_named_against_an_earlier_run(sealed: tuple[App, dict[str, int], Path],
                                                           tmp_path: Path) -> None:
    app, _, key_file = sealed
    earlier = anchor(app, tmp_path, key_file)
    _tamper(app, "DELETE FROM history WHERE id = (SELECT max(id) FROM history)",
            "UPDATE cycles SET state = 'early_findings'")
    assert verify(app, key_file=key_file)[0] == 0  # the chain alone cannot tell a shorter history
    code, output = verify(app, "--expect", str(earlier), key_file=key_file)
    assert code == 1
    assert (f"cycle {CYCLE}: has 3 history rows, 1 fewer than the earlier run counted: the tail of its history "
            "was deleted") in " ".join(output.split())


@pytest.mark.parametrize(("seal", "sentence"), [
    (None, "has no seal though the rows from {first} on are sealed: it was not written by the application"),
    ("{key_id}:0011223344556677:" + "ab" * 32, "does not match its seal: the row was changed, or written by "
                                               "someone without the audit key"),
])
def test_a_row_forged_without_the_key_is_named(sealed: tuple[App, dict[str, int], Path], seal: str | None,
                                               sentence: str) -> None:
    app, _, key_file = sealed
    assert app.engine.sealer is not None
    # Any connection that may insert (the application's role included): the chain trigger links it.
    with app.database.begin() as connection:
        connection.execute(text(forged_row(seal and seal.format(key_id=app.engine.sealer.key_id), embedded=False)))
        first, forged = connection.execute(text("SELECT min(id), max(id) FROM history")).one()
    code, output = verify(app, key_file=key_file)
    assert code == 1, output
    assert f"cycle {CYCLE}: history row {forged} {sentence.format(first=first)}" in " ".join(output.split())
