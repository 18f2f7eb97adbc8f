"""`cycle history verify`: the chain, the seals, the decisions, where each cycle stands, and an earlier anchor.

Beyond the hash chain (`workflow/store/audit.py`) the history is held against the tables it describes:

- each decision row's digests (`workflow/store/decision_digest.py`) against the decision and its attendees
  as they are now, and every decision against a history row that recorded it;
- each cycle's stage and status, and each strand's state, against where its last history rows end
  (the cycles and strands tables are not append-only: commands move them, and so could an UPDATE);
- with `expect`, an earlier run's output (kept outside the database), each cycle's row count and the
  hash of its last row then: fewer rows is a truncated history, another hash a rewritten one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.model import Definition
from workflow.errors import CycleError
from workflow.reads.case_audit import field_problems
from workflow.store.audit import CycleTrail, verify_history
from workflow.store.audit_seal import Sealer
from workflow.store.decision_digest import (
    ATTENDEE_VALUES,
    DECISION_VALUES,
    changed_parts,
    record_digest,
)
from workflow.store.models import Cycle, Decision, DecisionAttendee, StrandState
from workflow.store.unit import Store

# What a decide row recorded before digests existed, as history key -> decisions column.
COUNTED = {"outcome": "outcome", "for": "votes_for", "against": "votes_against", "abstain": "abstentions"}


@dataclass
class CycleCheck:
    cycle: str
    rows: int
    last_row: int | None
    last_hash: str | None
    sealed: int
    first_sealed: int | None
    problems: list[str] = field(default_factory=list)


@dataclass
class Verification:
    cycles: list[CycleCheck]
    keyed: bool  # seals were checked with the audit key
    key_id: str | None

    @property
    def problems(self) -> list[str]:
        return [f"cycle {c.cycle}: {p}" for c in self.cycles for p in c.problems]

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.cycles)

    def as_json(self) -> dict[str, Any]:
        return {"ok": not self.problems, "rows": self.rows, "keyed": self.keyed, "key_id": self.key_id,
                "cycles": [asdict(c) for c in self.cycles]}


def verify(store: Store, session: Session, *, cycle_id: int | None = None, sealer: Sealer | None = None,
           definition_of: Callable[[str, int], Definition], expect: Mapping[str, Any] | None = None) -> Verification:
    chain = verify_history(store, session, cycle_id, sealer)
    trails = {t.cycle: t for t in chain.trails}
    cycles = session.scalars(select(Cycle).where(Cycle.id == cycle_id) if cycle_id is not None
                             else select(Cycle).order_by(Cycle.id)).all()
    checks: dict[str, CycleCheck] = {}
    for cycle in cycles:
        trail = trails.get(cycle.key) or CycleTrail(cycle.key, cycle.id)
        check = checks[cycle.key] = CycleCheck(cycle.key, trail.rows, trail.last_row, trail.last_hash,
                                               trail.sealed, trail.first_sealed)
        check.problems += [f"history row {b.row} {b.reason}" for b in chain.broken if b.cycle == cycle.key]
        if not trail.rows:
            check.problems.append("has no history at all: its rows were removed")
            continue
        check.problems += _where_it_stands(session, cycle, trail, definition_of)
        check.problems += _decisions(session, cycle, trail)
        check.problems += field_problems(session, cycle)
    if expect is not None:
        _against_earlier(expect, trails, checks, only=None if cycle_id is None else {c.key for c in cycles})
    return Verification(list(checks.values()), keyed=sealer is not None, key_id=sealer.key_id if sealer else None)


def _where_it_stands(session: Session, cycle: Cycle, trail: CycleTrail,
                     definition_of: Callable[[str, int], Definition]) -> list[str]:
    """The cycle's stage and status, and its strands' states, against the ends of its history."""
    problems = []
    if trail.stage != cycle.state:
        problems.append(f"is at '{cycle.state}' ({cycle.status}) but its history ends at '{trail.stage}': "
                        "the cycle's row was changed outside the commands")
    problems += _definition_recorded(cycle, trail, definition_of)
    try:
        definition = definition_of(cycle.definition_id, cycle.definition_version)
    except CycleError as exc:  # e.g. the stored version is gone: the stage was still checked above
        return [*problems, f"its status and strands cannot be checked: {exc}"]
    if trail.stage in definition.stages:
        expected = "complete" if definition.is_final(trail.stage) else "active"
        if cycle.status != expected:
            problems.append(f"is marked {cycle.status} but its history ends at '{trail.stage}', where it is "
                            f"{expected}: the cycle's row was changed outside the commands")
    initial = {s.id: definition.lifecycles[s.lifecycle].initial
               for stage in definition.stages.values() for s in stage.strands}
    strands = session.execute(select(StrandState.strand, StrandState.state)
                              .where(StrandState.cycle_id == cycle.id)).all()
    for strand, state in strands:
        ends = trail.strands.get(strand, initial.get(strand))
        if ends is not None and state != ends:
            problems.append(f"strand '{strand}' is at '{state}' but its history ends at '{ends}': "
                            "the strand's row was changed outside the commands")
    for strand in sorted(set(trail.strands) - {s for s, _ in strands}):
        problems.append(f"strand '{strand}' has history rows but no row of its own: it was removed")
    return problems


def _definition_recorded(cycle: Cycle, trail: CycleTrail,
                         definition_of: Callable[[str, int], Definition]) -> list[str]:
    """The cycle's definition and version against its last start or migrate row (and the key it was started as)."""
    tampered = "the cycle's row was changed outside the commands"
    problems = []
    if cycle.key != (cycle.reference or f"{cycle.definition_id}-{cycle.year}"):
        problems.append(f"runs on definition '{cycle.definition_id}' but was started as {cycle.key}: {tampered}")
    if trail.defined_by is None:
        return problems
    row, action, data = trail.defined_by
    if action == "start" and data.get("reference") != cycle.reference:  # a case's reference, or none for a year's
        problems.append(f"has the reference {cycle.reference or '(none)'} but history row {row} (start) recorded "
                        f"{data.get('reference') or 'none'}: {tampered}")
    recorded = data.get("to_version" if action == "migrate" else "definition_version")
    if isinstance(recorded, int) and recorded != cycle.definition_version:
        problems.append(f"runs on version {cycle.definition_version} of its definition but history row {row} "
                        f"({action}) put it on version {recorded}: {tampered}")
    elif action == "start" and isinstance(data.get("checksum"), str):
        try:
            checksum = definition_of(cycle.definition_id, cycle.definition_version).checksum
        except CycleError:
            return problems  # named by the caller: the version cannot be loaded
        if checksum != data["checksum"]:
            problems.append(f"runs on a definition other than the one history row {row} (start) recorded: "
                            f"{tampered}")
    return problems


def _decisions(session: Session, cycle: Cycle, trail: CycleTrail) -> list[str]:
    """Every decision against the history row that recorded it, by digest (or by its counts, before digests)."""
    rows = {r.id: r for r in session.execute(select(*(getattr(Decision, c) for c in DECISION_VALUES))
                                             .where(Decision.cycle_id == cycle.id)).all()}
    attendees: dict[int, list[Mapping[str, Any]]] = {}
    for a in session.execute(select(DecisionAttendee.decision_id, *(getattr(DecisionAttendee, c)
                                                                     for c in ATTENDEE_VALUES))
                             .join(Decision, Decision.id == DecisionAttendee.decision_id)
                             .where(Decision.cycle_id == cycle.id)):
        attendees.setdefault(a.decision_id, []).append(dict(a._mapping))
    problems, recorded = [], set()
    for row_id, data in trail.decisions:
        decision_id = data.get("decision_id")
        recorded.add(decision_id)
        found = rows.get(decision_id) if isinstance(decision_id, int) else None
        if found is None or not isinstance(decision_id, int):
            problems.append(f"decision {decision_id}, recorded in history row {row_id}, is missing from the "
                            "decisions table")
            continue
        name = f"decision {decision_id} ({found.board}, '{found.item}')"
        if isinstance(data.get("digest"), dict):
            changed = changed_parts(data["digest"], record_digest(dict(found._mapping), attendees.get(decision_id, [])))
        else:  # recorded before digests: its counts and date are all the row kept
            changed = [k for k, column in COUNTED.items() if k in data and data[k] != getattr(found, column)]
            if "meeting_date" in data and data["meeting_date"] != found.meeting_date.isoformat():
                changed.append("meeting date")
        if changed:
            problems.append(f"{name} was changed after history row {row_id} recorded it (changed: {_words(changed)})")
    for decision_id, found in rows.items():
        if decision_id not in recorded:
            problems.append(f"decision {decision_id} ({found.board}, '{found.item}') has no history row: it was "
                            "not recorded by a command")
    return problems


def _words(parts: Iterable[str]) -> str:
    listed = list(parts)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]


def _against_earlier(expect: Mapping[str, Any], trails: Mapping[str, CycleTrail], checks: dict[str, CycleCheck],
                     only: set[str] | None) -> None:
    """Each cycle of an earlier run's output: as many rows at least, and the same hash at its last row then."""
    for earlier in expect.get("cycles", []):
        key, count, head = earlier.get("cycle"), earlier.get("rows"), earlier.get("last_hash")
        if not isinstance(key, str) or not isinstance(count, int) or (only is not None and key not in only):
            continue
        check = checks.get(key)
        if check is None:
            check = checks[key] = CycleCheck(key, 0, None, None, 0, None)
            check.problems.append(f"is gone: the earlier run counted {count} history rows")
            continue
        trail = trails.get(key)
        now = trail.rows if trail else 0
        if now < count:
            check.problems.append(f"has {now} history rows, {count - now} fewer than the earlier run counted: "
                                  "the tail of its history was deleted")
        elif trail is not None and count and trail.hashes[count - 1] != head:
            check.problems.append(f"its row that was last at the earlier run (number {count}, row "
                                  f"{earlier.get('last_row')}) no longer has the hash recorded then "
                                  f"({str(head)[:16]}…): its history up to there was rewritten since")
        sealed, first = earlier.get("sealed"), earlier.get("first_sealed")
        now_sealed, now_first = (trail.sealed, trail.first_sealed) if trail else (0, None)
        if (isinstance(sealed, int) and now_sealed < sealed) or (isinstance(first, int) and now_first != first):
            check.problems.append(f"has {now_sealed} sealed rows from row {now_first}, where the earlier run "
                                  f"counted {sealed} from row {first}: seals were removed since")


def read_expect(text: str, name: str) -> Mapping[str, Any]:
    """An earlier run's `--json` output, or InvalidInput saying what the file should be."""
    import json

    from workflow.errors import InvalidInput

    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("cycles"), list):
        raise InvalidInput(f"{name} is not the output of 'cycle history verify --json': give the file an "
                           "earlier run wrote")
    for number, entry in enumerate(loaded["cycles"], 1):
        wrong = _wrong_entry(entry)
        if wrong:
            raise InvalidInput(f"{name} is not the output of 'cycle history verify --json': its cycle entry "
                               f"{number} {wrong}")
    return loaded


def _wrong_entry(entry: object) -> str | None:
    """What is wrong with one cycle entry of an earlier run's output, or None."""
    def count(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not isinstance(entry, dict):
        return "is not an object with the cycle's key, rows and last hash"
    if not isinstance(entry.get("cycle"), str) or not entry["cycle"]:
        return "has no cycle key"
    if not count(entry.get("rows")):
        return "has no row count, or a negative one"
    if entry.get("last_hash") is not None and not isinstance(entry["last_hash"], str):
        return "has a last hash that is not text"
    if "sealed" in entry and not count(entry["sealed"]):
        return "has a sealed count that is not a whole number of 0 or more"
    for name in ("last_row", "first_sealed"):
        if entry.get(name) is not None and not count(entry[name]):
            return f"has a {name} that is not a row id"
    return None


def lines(result: Verification) -> list[str]:
    """Per cycle, its rows, last row and hash (the anchor to keep), and which rows are sealed."""
    out = []
    for c in result.cycles:
        if not c.rows:
            continue
        sealed = ("no row sealed" if not c.sealed else
                  f"rows from {c.first_sealed} on sealed" + (f" and checked with key {result.key_id}"
                                                             if result.keyed else ", seals not checked (no key)"))
        out.append(f"cycle {c.cycle}: {c.rows} rows, last row {c.last_row}, hash {c.last_hash}; {sealed}")
    return out
