"""What a command returns: the caller (CLI, API, page) words it for its reader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fired:
    cycle: str
    trigger: str
    from_state: str
    to_state: str
    strand: str | None
    version: int
    events: list[str]


@dataclass(frozen=True)
class Recorded:
    cycle: str
    board: str
    item: str
    outcome: str
    votes_for: int
    votes_against: int
    abstentions: int
    voting_present: int
    quorum: int
    decision_id: int = 0
    supersedes: int | None = None
    board_name: str = ""  # the words a person reads for `board` and `item`
    item_title: str = ""


@dataclass(frozen=True)
class Attached:
    cycle: str
    paper: str
    title: str
    sha256: str
    size: int
    exempt: bool
