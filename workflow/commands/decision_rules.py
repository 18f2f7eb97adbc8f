"""The decision register as minutes keep it: one decision per item and meeting, amended or rescinded by a later one.

A decision row is never changed. An amendment or a rescission is a new row whose
`details` name the decision it supersedes and why; the decision in force on an
item is the latest one nothing supersedes, and that is the one gates count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from workflow.definition.calendar import Timeline
from workflow.definition.formatting import written_date
from workflow.definition.loader import suggest
from workflow.definition.model import DecisionGate, Definition, Membership
from workflow.errors import InvalidInput, MeetingNotHeld, NotFound
from workflow.store.models import DecisionAttendee

RESCINDED = "rescinded"


def quorum_for(definition: Definition, board: str, item: str) -> int:
    """The quorum of a board on an item: the strictest of the board's own and its decision gates' quorums."""
    spec = definition.boards[board]
    return max([g.quorum or spec.quorum for t in definition.transitions for g in t.gates
                if isinstance(g, DecisionGate) and g.board == board and g.item == item] or [spec.quorum])


def takes_priorities(definition: Definition, board: str, item: str) -> bool:
    """Whether the board agrees a list of priorities with its decision on the item (a gate's `priorities: true`)."""
    return any(g.priorities for t in definition.transitions for g in t.gates
               if isinstance(g, DecisionGate) and (g.board, g.item) == (board, item))


def outcome_of(votes_for: int, votes_against: int, abstentions: int, quorum: int, *, defer: bool = False) -> str:
    """The board's quorum rule: deferred if asked or inquorate, else carried on more votes for than against."""
    if defer or votes_for + votes_against + abstentions < quorum:
        return "deferred"  # inquorate: the item cannot be decided at this meeting
    return "carried" if votes_for > votes_against else "lost"


def superseded(details: Iterable[dict[str, Any] | None]) -> set[int]:
    """The ids of decisions a later decision amended or rescinded."""
    return {int(d["supersedes"]) for d in details if d and d.get("supersedes") is not None}


def in_force(rows: Iterable[tuple[int, str, str, dict[str, Any] | None]]) -> dict[tuple[str, str], int]:
    """(board, item) -> the id of the decision in force, from (id, board, item, details) rows."""
    listed = sorted(rows)
    gone = superseded(d for _, _, _, d in listed)
    return {(board, item): decision_id for decision_id, board, item, _ in listed if decision_id not in gone}


def scheduled_meeting(definition: Definition, timeline: Timeline, board: str, item: str,
                      state: str) -> dt.date | None:
    """The date the board is to meet on the item: the meeting its stage is due at, the current stage first
    (on the cycle's `timeline`, so a meeting moved is met on the day it moved to)."""
    meeting_days = {timeline.milestone(m.id) for m in definition.meetings.values() if m.board == board}
    stages = [source for t in definition.transitions for g in t.gates
              if isinstance(g, DecisionGate) and g.board == board and g.item == item for source in t.sources]
    for stage in sorted(stages, key=lambda s: s != state):
        due = timeline.stage_due(stage)
        if due is not None and due in meeting_days:
            return due
    return None


def refuse_second(*, board_name: str, item: str, day: dt.date, earlier: tuple[int, str] | None) -> None:
    """One decision per item and meeting: `earlier` is the (id, outcome) in force from that meeting already."""
    if earlier is not None:
        raise InvalidInput(
            f"the {board_name} already has decision {earlier[0]} ({earlier[1]}) on '{item}' at its meeting on "
            f"{written_date(day)}; to correct it, record an amendment with --amends {earlier[0]} --reason '...'")


def refuse_unheld(*, board_name: str, day: dt.date, today: dt.date, given: bool) -> None:
    """A decision is recorded for a meeting that has been held: its day is today or earlier on the cycle's clock."""
    if day > today:
        which = "the meeting date given is" if given else "its scheduled meeting is"
        raise MeetingNotHeld(
            f"the {board_name} has not met yet: {which} {written_date(day)} and today is {written_date(today)}; "
            "record it on or after the day the board meets, or give the day it met as the meeting date")


def check_target(*, decision_id: int, found: tuple[str, str] | None, board: str, item: str, gone: set[int],
                 reason: str | None, verb: str, definition: Definition | None = None) -> None:
    """An amendment or rescission names a decision of this cycle, on the same board and item, still in force."""
    if found is None:  # any id not among the cycle's decisions, one too large for a row included
        raise NotFound(f"there is no decision {decision_id} in this cycle")
    if found != (board, item) and board:
        def said(on: tuple[str, str]) -> str:
            if definition is None or on[0] not in definition.boards:
                return f"'{on[1]}' of board '{on[0]}'"
            return f"'{definition.item_title(*on)}' of the {definition.boards[on[0]].name}"
        raise InvalidInput(f"decision {decision_id} is on {said(found)}, not on {said((board, item))}")
    if decision_id in gone:
        raise InvalidInput(f"decision {decision_id} was superseded already: {verb} the decision in force instead")
    if not reason or not reason.strip():
        raise InvalidInput(f"say why decision {decision_id} is {verb}ed, with --reason")


def priority_of(text: str) -> tuple[str, str]:
    """A priority agreed, as 'Serious violence: remain a priority': (title, recommendation); refuses a line
    without both. The CLI's `--priority` and the decision form read each priority by this rule."""
    title, sep, recommendation = text.partition(":")
    if not sep or not title.strip() or not recommendation.strip():
        raise InvalidInput(f"'{text.strip()}' should read 'priority: recommendation', "
                           "for example 'Serious violence: remain a priority'")
    return title.strip(), recommendation.strip()


def attendance(board_name: str, membership: dict[str, Membership], votes_for: list[str],
               votes_against: list[str], abstain: list[str], apologies: list[str], present: list[str],
               interests: dict[str, str]) -> list[DecisionAttendee]:
    """The register of a meeting as rows; refuses people not on the board, twice listed, or voting without a vote."""
    seen: dict[str, str] = {}
    attendees: list[DecisionAttendee] = []
    groups = [("for", votes_for), ("against", votes_against), ("abstain", abstain), (None, present)]
    for vote, people in groups:
        for person in people:
            if person not in membership:
                raise InvalidInput(f"'{person}' is not a member of the {board_name}"
                                   f"{suggest(person, membership)}")
            if person in seen:
                raise InvalidInput(f"'{person}' is listed twice ({seen[person]} and {vote or 'present'})")
            kind = membership[person]
            if vote is not None and kind not in (Membership.VOTING, Membership.VOTING_CHAIR):
                raise InvalidInput(f"'{person}' is a non-voting {kind.value} of the {board_name}: record them "
                                   "with --present; only voting members' votes count")
            seen[person] = vote or "present"
            attendees.append(DecisionAttendee(person=person, membership=kind.value, attendance="present",
                                              vote=vote, interest=interests.get(person)))
    for person in apologies:
        if person not in membership:
            raise InvalidInput(f"'{person}' is not a member of the {board_name}{suggest(person, membership)}")
        if person in seen:
            raise InvalidInput(f"'{person}' cannot both attend ({seen[person]}) and send apologies")
        seen[person] = "apologies"
        attendees.append(DecisionAttendee(person=person, membership=membership[person].value,
                                          attendance="apologies", vote=None, interest=None))
    for person in interests:
        if seen.get(person) in (None, "apologies"):
            raise InvalidInput(f"'{person}' declared an interest but is not recorded as present")
    return attendees
