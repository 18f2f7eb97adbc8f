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


@pytest.fixture
def older_url(pg_url: str) -> Iterator[str]:
    """A database of its own, for a test that moves its schema down and up."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = make_url(pg_url)
    name = f"{server.database}_older"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_rows_from_before_the_key_keep_verifying_across_the_upgrade(older_url: str, tmp_path: Path) -> None:
    import datetime as dt

    from alembic import command

    from tests.conftest import make_settings
    from tests.helpers import AUTHOR, carry, paper_file
    from workflow.app import build
    from workflow.store import db
    from workflow.time.clock import SimulatedClock, at_local

    database = db.make_engine(older_url)
    db.upgrade(database)
    db.mark_rehearsal(database)
    app = build(make_settings(tmp_path, older_url), clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    try:
        app.engine.start("community_safety_strategy", 2021, AUTHOR)
        app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
        carry(app, "mk_together", "early_findings")
        with app.database.connect() as connection:
            before = connection.execute(text("SELECT id, hash FROM history ORDER BY id")).all()
        app.database.dispose()
        command.downgrade(db.alembic_config(database), "0005f")  # the schema before the seal
        db.upgrade(database)
        with app.database.connect() as connection:
            assert connection.execute(text("SELECT id, hash FROM history ORDER BY id")).all() == before
        sealing = keyed(app, tmp_path)
        try:
            sealing.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
            code, output = verify(sealing, key_file=sealing.settings.audit_key_file)
            assert code == 0, output
            assert "4 rows" in output and "rows from 4 on sealed and checked with key" in output
        finally:
            sealing.close()
    finally:
        app.close()
        database.dispose()
