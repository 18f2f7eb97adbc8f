"""The history's hash chain: recompute it and find the first row that does not match.

The database computes each row's `hash` as it is inserted (migration 0005b): SHA-256 over the
previous row's hash in the same cycle and this row's fields, each encoded as `length:text` (or
'-' for none) and joined with '|'. Editing, removing or reordering a row breaks the link at that
row or at the one after it, which `cycle history verify` reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

FIELDS = ("actor", "action", "trigger", "strand", "from_state", "to_state", "comment")

_MARK = "CASE WHEN h.rehearsal THEN 'rehearsal' ELSE 'live' END"
# The same text forms of the timestamp and JSON the triggers hash.
_ROWS = {
    "postgresql": "SELECT h.id, c.key, h.cycle_id::text, to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
                  f"{', '.join('h.' + f for f in FIELDS)}, h.data::text, {_MARK}, h.hash "
                  "FROM history h JOIN cycles c ON c.id = h.cycle_id {where} ORDER BY h.cycle_id, h.id",
    "sqlite": "SELECT h.id, c.key, CAST(h.cycle_id AS TEXT), h.at, "
              f"{', '.join('h.' + f for f in FIELDS)}, CAST(h.data AS TEXT), {_MARK}, h.hash "
              "FROM history h JOIN cycles c ON c.id = h.cycle_id {where} ORDER BY h.cycle_id, h.id",
}


@dataclass(frozen=True)
class BrokenLink:
    cycle: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"cycle {self.cycle}: history row {self.row} {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    cycles: int
    rows: int
    broken: list[BrokenLink]


def _field(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def link(previous: str | None, fields: tuple[str | None, ...]) -> str:
    """The hash a row must carry, given the previous row's hash and its own fields in table order."""
    return hashlib.sha256("|".join(_field(v) for v in (previous, *fields)).encode()).hexdigest()


def verify_history(session: Session, cycle_id: int | None = None) -> ChainReport:
    """Recompute every cycle's chain (or one cycle's); report the first broken link of each."""
    connection = session.connection()
    sql = _ROWS["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]
    where = "" if cycle_id is None else "WHERE h.cycle_id = :cycle_id"
    rows = connection.execute(text(sql.format(where=where)), {"cycle_id": cycle_id}).all()
    broken: dict[str, BrokenLink] = {}
    previous: dict[str, str | None] = {}
    for row in rows:
        row_id, key, fields, stored = row[0], row[1], tuple(row[2:-1]), row[-1]
        expected = link(previous.get(key), fields)
        previous[key] = stored
        if key in broken:
            continue
        if stored is None:
            broken[key] = BrokenLink(key, row_id, "has no hash: it was written without the chain trigger")
        elif stored != expected:
            broken[key] = BrokenLink(key, row_id, "does not match its hash: it or the row before it was changed, "
                                     "removed or inserted out of turn")
    return ChainReport(cycles=len(previous), rows=len(rows), broken=list(broken.values()))
