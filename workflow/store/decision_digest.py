"""A decision as recorded, as digests its history row carries: verify recomputes them from the decisions tables.

The decide (or rescind) row of the history is chained and sealed; the decision's own rows are not.
So the row carries, part by part, a SHA-256 of what was recorded: who attended and how, every vote
with the counts and outcome, the interests declared, the resolution, the meeting date, and the rest
(board, item, who recorded it, priorities, what it amends or rescinds and why). A part that no
longer matches names what changed. The time it was recorded is left out: on PostgreSQL the server
sets it after the command computed these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from workflow.store.models import Decision

PARTS = ("attendance", "votes", "interests", "resolution", "meeting_date", "details")
WORDS = {"attendance": "attendance", "votes": "votes", "interests": "declared interests",
         "resolution": "resolution", "meeting_date": "meeting date",
         "details": "board, item, recorder, priorities or what it amends"}
DECISION_VALUES = ("id", "board", "item", "outcome", "resolution", "meeting_date", "votes_for", "votes_against",
                   "abstentions", "voting_present", "quorum", "recorded_by", "details")
ATTENDEE_VALUES = ("person", "membership", "attendance", "vote", "interest")


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]  # 128 bits: enough that no edit can keep a match


def record_digest(decision: Mapping[str, Any], attendees: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each part of a decision (`DECISION_VALUES`) and its attendees (`ATTENDEE_VALUES`) as a digest."""
    people = sorted((dict(a) for a in attendees), key=lambda a: str(a["person"]))
    day = decision["meeting_date"]
    parts: dict[str, Any] = {
        "attendance": [(a["person"], a["membership"], a["attendance"]) for a in people],
        "votes": {"votes": [(a["person"], a["vote"]) for a in people if a["vote"] is not None],
                  **{k: decision[k] for k in ("outcome", "votes_for", "votes_against", "abstentions",
                                               "voting_present", "quorum")}},
        "interests": [(a["person"], a["interest"]) for a in people if a["interest"] is not None],
        "resolution": decision["resolution"],
        "meeting_date": day.isoformat() if isinstance(day, dt.date) else str(day),
        "details": {"id": decision["id"], "board": decision["board"], "item": decision["item"],
                    "recorded_by": decision["recorded_by"], "details": decision["details"] or {}},
    }
    return {name: _hash(parts[name]) for name in PARTS}


def digest_of(decision: Decision) -> dict[str, str]:
    """The digest of a decision just recorded (flushed, so it has its id)."""
    return record_digest({name: getattr(decision, name) for name in DECISION_VALUES},
                         [{name: getattr(a, name) for name in ATTENDEE_VALUES} for a in decision.attendees])


def changed_parts(recorded: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """The parts, in words, whose digest differs from the one recorded."""
    return [WORDS[name] for name in PARTS if name in recorded and recorded[name] != now.get(name)]
