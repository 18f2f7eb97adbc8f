"""Where sealing began is read from the key file, outside the database: seals stripped from every row are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.audit_tampering import KEY, anchor, decided, keyed, verify
from tests.test_audit_chain import _tamper
from workflow.app import App
from workflow.store.audit import link


def _strip_every_seal(app: App) -> None:
    """The owner's rewrite: every row's seal removed and the plain chain recomputed over the rest."""
    _tamper(app, "UPDATE history SET seal = NULL")
    with app.database.begin() as connection:
        previous = None
        rows = connection.execute(text("SELECT id, CAST(cycle_id AS TEXT), at, actor, action, trigger, strand, "
                                       "from_state, to_state, comment, CAST(data AS TEXT), CASE WHEN rehearsal "
                                       "THEN 'rehearsal' ELSE 'live' END FROM history ORDER BY id")).all()
        for row_id, *fields in rows:
            previous = link(previous, tuple(fields))
            connection.execute(text("UPDATE history SET hash = :h WHERE id = :id"), {"h": previous, "id": row_id})


@pytest.mark.parametrize("start", ["1", "2021-07-01T00:00:00Z"])
def test_rows_stripped_of_their_seals_after_the_key_files_start_are_named(app: App, tmp_path: Path,
                                                                         start: str) -> None:
    sealed = keyed(app, tmp_path, KEY + b"\nsealed-from: " + start.encode())
    try:
        decided(sealed, tmp_path)
        key_file = sealed.settings.audit_key_file
        assert key_file is not None
        earlier = anchor(sealed, tmp_path, key_file)
        assert json.loads(earlier.read_text())["cycles"][0]["sealed"] == 4
        _strip_every_seal(sealed)
        code, output = verify(sealed, key_file=key_file)
        assert code == 1, output
        said = " ".join(output.split())
        for row in (1, 2, 3, 4):
            assert f"history row {row} has no seal though the key file says rows from" in said
        # The earlier run's record of the seals names the drop too, with or without the key.
        plain = tmp_path / "plain.key"
        plain.write_bytes(KEY + b"\n")
        code, output = verify(sealed, "--expect", str(earlier), key_file=plain)
        assert code == 1
        assert "has 0 sealed rows from row None, where the earlier run counted 4 from row 1: seals were removed " \
               "since" in " ".join(output.split())
    finally:
        sealed.close()


def test_a_malformed_start_in_the_key_file_is_one_sentence(app: App, tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_bytes(KEY + b"\nsealed-from: last tuesday\n")
    code, output = verify(app, key_file=key_file)
    assert code != 0 and "says 'sealed-from: last tuesday'" in output and "Traceback" not in output


@pytest.mark.parametrize(("earlier", "sentence"), [
    ({"cycles": ["x"]}, "its cycle entry 1 is not an object with the cycle's key, rows and last hash"),
    ({"cycles": [{"cycle": "c-2021", "rows": -1, "last_hash": None}]}, "has no row count, or a negative one"),
    ({"cycles": [{"cycle": "c-2021", "rows": 2, "last_hash": 7}]}, "has a last hash that is not text"),
    ({"cycles": [{"cycle": "c-2021", "rows": 2, "last_hash": "ab", "sealed": "4"}]}, "has a sealed count"),
])
def test_a_malformed_expect_file_is_refused_in_one_sentence(app: App, tmp_path: Path, earlier: object,
                                                             sentence: str) -> None:
    decided(app, tmp_path)
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(earlier), encoding="utf-8")
    code, output = verify(app, "--expect", str(path))
    assert code != 0 and "Traceback" not in output
    assert f"{path} is not the output of 'cycle history verify --json'" in " ".join(output.split())
    assert sentence in " ".join(output.split())
