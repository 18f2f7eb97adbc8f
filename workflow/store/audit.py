"""The history's hash chain: recompute it and find the first row that does not match.

The database computes each row's `hash` as it is inserted (migrations 0005b, 0006c): SHA-256 over
the previous row's hash in the same cycle and this row's fields, each encoded as `length:text` (or
'-' for none) and joined with '|'; a row sealed with the audit key (`workflow/store/audit_seal.py`) adds
its seal as one more field. Editing, removing or reordering a row breaks the link at that row or at
the one after it, which `cycle history verify` reports. With the key, each sealed row is checked
against its seal too, and a row without one is named if it comes after the point the key file says
sealing began (`sealed-from:`), or, when the file does not say, after the history's first sealed
row in any cycle: the application seals every row once it has a key, so such a row was written by
someone else.

The same pass collects what the other checks need (`workflow/reads/audit_report.py`): each cycle's row
count and last hash, the stage and strand states its rows end at, and its decision rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .audit_seal import Sealer
from .unit import Store

FIELDS = ("actor", "action", "trigger", "strand", "from_state", "to_state", "comment")

_MARK = "CASE WHEN h.rehearsal THEN 'rehearsal' ELSE 'live' END"
# The same text forms of the timestamp and JSON the triggers hash.
_ROWS = {
    "postgresql": "SELECT h.id, c.key, h.cycle_id::text, to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
                  f"{', '.join('h.' + f for f in FIELDS)}, h.data::text, {_MARK}, h.seal, h.hash "
                  "FROM history h JOIN cycles c ON c.id = h.cycle_id {where} ORDER BY h.cycle_id, h.id",
    "sqlite": "SELECT h.id, c.key, CAST(h.cycle_id AS TEXT), h.at, "
              f"{', '.join('h.' + f for f in FIELDS)}, CAST(h.data AS TEXT), {_MARK}, h.seal, h.hash "
              "FROM history h JOIN cycles c ON c.id = h.cycle_id {where} ORDER BY h.cycle_id, h.id",
}
DECISION_ACTIONS = ("decide", "rescind")


@dataclass(frozen=True)
class BrokenLink:
    cycle: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"cycle {self.cycle}: history row {self.row} {self.reason}"


@dataclass
class CycleTrail:
    """One cycle's history as verify found it."""

    cycle: str
    cycle_id: int
    rows: int = 0
    last_row: int | None = None
    last_hash: str | None = None
    first_sealed: int | None = None  # the first row sealed with the audit key
    sealed: int = 0
    stage: str | None = None  # where the cycle's own rows (not its strands') end
    strands: dict[str, str] = field(default_factory=dict)  # strand -> the state its rows end at
    decisions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row, data) of decision rows
    hashes: list[str | None] = field(default_factory=list)  # every row's stored hash, in order (for --expect)
    seals: dict[str, int] = field(default_factory=dict)  # seal -> the row that carries it
    defined_by: tuple[int, str, dict[str, Any]] | None = None  # the last start or migrate row: (row, action, data)


@dataclass(frozen=True)
class ChainReport:
    cycles: int
    rows: int
    broken: list[BrokenLink]
    trails: list[CycleTrail] = field(default_factory=list)


def _field(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def link(previous: str | None, fields: tuple[str | None, ...], seal: str | None = None) -> str:
    """The hash a row must carry, given the previous row's hash, its own fields in table order and its seal."""
    encoded = "|".join(_field(v) for v in (previous, *fields))
    if seal is not None:  # rows written before the key existed keep the encoding they were hashed with
        encoded += "|" + _field(seal)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _check_seal(trail: CycleTrail, sealer: Sealer | None, row_id: int, seal: str | None,
                named: dict[str, Any], at: str | None, first_sealed: int | None) -> str | None:
    if seal is None:
        # Where sealing began comes from the key file when it says; otherwise from the first sealed row of
        # the whole history (any cycle), which only stripping every seal at once can move.
        if sealer is not None and sealer.sealed_from is not None:
            if sealer.must_be_sealed(row_id, at):
                return (f"has no seal though the key file says rows from {sealer.sealed_from} on are sealed: it "
                        "was not written by the application with the audit key")
        elif first_sealed is not None and row_id > first_sealed:
            return (f"has no seal though the rows from {first_sealed} on are sealed: it was not written "
                    "by the application with the audit key")
        return None
    trail.sealed += 1
    if trail.first_sealed is None:
        trail.first_sealed = row_id
    copied = trail.seals.setdefault(seal, row_id)
    if copied != row_id:  # every seal has its own nonce: the same seal twice is a row copied
        return f"repeats the seal of row {copied}: it is a copy of that row, not written by the application"
    return None if sealer is None else sealer.problem(seal, trail.cycle_id, named)


def verify_history(store: Store, session: Session, cycle_id: int | None = None, sealer: Sealer | None = None) -> ChainReport:
    """Recompute every cycle's chain (or one cycle's); report the first broken link of each, and every row
    whose seal is missing or wrong."""
    connection = session.connection()
    sql = _ROWS["postgresql" if store.on_postgresql else "sqlite"]
    where = "" if cycle_id is None else "WHERE h.cycle_id = :cycle_id"
    rows = connection.execute(text(sql.format(where=where)), {"cycle_id": cycle_id}).all()
    broken: list[BrokenLink] = []
    chain_broken: set[str] = set()
    trails: dict[str, CycleTrail] = {}
    first_sealed = min((row[0] for row in rows if row[-2] is not None), default=None)
    for row in rows:
        row_id, key, fields, seal, stored = row[0], row[1], tuple(row[2:-2]), row[-2], row[-1]
        trail = trails.get(key) or trails.setdefault(key, CycleTrail(key, int(fields[0])))
        expected = link(trail.last_hash, fields, seal)
        trail.rows, trail.last_row, trail.last_hash = trail.rows + 1, row_id, stored
        trail.hashes.append(stored)
        named = dict(zip(FIELDS, fields[2:9], strict=True))
        named["data"] = data = json.loads(fields[9] or "{}")
        if named["to_state"] is not None:
            if named["strand"] is None:
                trail.stage = named["to_state"]
            else:
                trail.strands[named["strand"]] = named["to_state"]
        if named["action"] in ("start", "migrate"):  # they set the definition version the cycle runs on
            trail.defined_by = (row_id, named["action"], data)
        if named["action"] in DECISION_ACTIONS:
            trail.decisions.append((row_id, data))
        wrong_seal = _check_seal(trail, sealer, row_id, seal, named, fields[1], first_sealed)
        if wrong_seal is not None:
            broken.append(BrokenLink(key, row_id, wrong_seal))
        if key in chain_broken:
            continue
        if stored is None:
            chain_broken.add(key)
            broken.append(BrokenLink(key, row_id, "has no hash: it was written without the chain trigger"))
        elif stored != expected:
            chain_broken.add(key)
            broken.append(BrokenLink(key, row_id, "does not match its hash: it or the row before it was changed, "
                                     "removed or inserted out of turn"))
    return ChainReport(cycles=len(trails), rows=len(rows), broken=broken, trails=list(trails.values()))
