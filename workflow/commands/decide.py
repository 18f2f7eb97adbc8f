"""Record a board's decision on an item, or an amendment or rescission of an earlier one.

The rules of a vote (quorum, outcome, attendance, one decision a meeting) are in `decision_rules`. A meeting whose
minutes were approved takes no further decision, amendment or rescission (`refuse_minuted`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from workflow.commands.cycles import (
    acting,
)
from workflow.commands.decision_rules import (
    RESCINDED,
    attendance,
    check_target,
    outcome_of,
    quorum_for,
    refuse_second,
    refuse_unheld,
    scheduled_meeting,
    superseded,
)
from workflow.commands.results import Recorded
from workflow.commands.rows import (
    add_event,
    add_history,
)
from workflow.definition.formatting import written_date
from workflow.definition.loader import suggest
from workflow.definition.model import DecisionGate
from workflow.errors import InvalidInput
from workflow.store.decision_digest import digest_of
from workflow.store.models import Cycle, Decision, MinutesApproval
from workflow.store.unit import Store
from workflow.time.actuals import timeline_of
from workflow.time.clock import local_date


def decide(
    engine: Store, cycle_ref: str | int, board: str, item: str, actor: str, *,
    votes_for: list[str] = (), votes_against: list[str] = (), abstain: list[str] = (),  # type: ignore[assignment]
    apologies: list[str] = (), present: list[str] = (), interests: dict[str, str] | None = None,  # type: ignore[assignment]
    resolution: str | None = None, meeting_date: dt.date | None = None, defer: bool = False,
    priorities: list[tuple[str, str]] = (),  # type: ignore[assignment]
    comment: str | None = None, amends: int | None = None, rescinds: int | None = None,
    reason: str | None = None,
) -> Recorded:
    if rescinds is not None:
        if amends is not None:
            raise InvalidInput("a decision either amends or rescinds an earlier one, not both")
        return rescind(engine, cycle_ref, rescinds, actor, reason=reason, meeting_date=meeting_date, comment=comment)
    now = engine.clock.now()
    interests = interests or {}
    with engine.unit_of_work() as session:
        cycle, definition = acting(engine, session, cycle_ref, actor, "decide")
        if board not in definition.boards:
            raise InvalidInput(f"there is no board '{board}' in '{definition.id}'{suggest(board, definition.boards)}")
        spec = definition.boards[board]
        items = sorted({g.item for t in definition.transitions for g in t.gates
                        if isinstance(g, DecisionGate) and g.board == board})
        if item not in items:
            listed = f" (its items: {', '.join(items)})" if items else ""
            raise InvalidInput(f"the {spec.name} has no item '{item}' in this cycle{suggest(item, items)}{listed}")
        quorum = quorum_for(definition, board, item)
        membership = dict(spec.members)
        attendees = attendance(spec.name, membership, votes_for, votes_against, abstain, apologies,
                               present, interests)
        counts = {v: sum(1 for a in attendees if a.vote == v) for v in ("for", "against", "abstain")}
        voting_present = sum(counts.values())
        outcome = outcome_of(counts["for"], counts["against"], counts["abstain"], quorum, defer=defer)
        day = meeting_date or scheduled_meeting(definition, timeline_of(session, cycle, definition), board, item,
                                                cycle.state) or local_date(now)
        refuse_minuted(session, spec.name, board, day)
        if amends is None:
            refuse_unheld(board_name=spec.name, day=day, today=local_date(now), given=meeting_date is not None)
        register = decision_register(session, cycle)
        gone = superseded(d for *_, d in register.values())
        if amends is not None:
            check_target(decision_id=amends, found=register[amends][:2] if amends in register else None,
                         board=board, item=item, gone=gone, reason=reason, verb="amend",
                         definition=definition)
        else:
            earlier = next(((i, r[2]) for i, r in register.items() if r[:2] == (board, item)
                            and r[3] == day and i not in gone), None)
            refuse_second(board_name=spec.name, item=definition.item_title(board, item), day=day, earlier=earlier)
        text = resolution or f"That '{definition.item_title(board, item)}' be agreed."
        decision = Decision(
            cycle_id=cycle.id, board=board, item=item, outcome=outcome, resolution=text, meeting_date=day,
            votes_for=counts["for"], votes_against=counts["against"], abstentions=counts["abstain"],
            voting_present=voting_present, quorum=quorum, recorded_by=actor, recorded_at=now,
            attendees=attendees,
            details={**({"priorities": [{"title": t, "recommendation": r} for t, r in priorities]}
                        if priorities else {}),
                     **({"supersedes": amends, "kind": "amendment", "reason": reason} if amends else {})},
        )
        session.add(decision)
        cycle.updated_at = now
        flag_modified(cycle, "updated_at")
        session.flush()
        summary = {"decision_id": decision.id, "board": board, "item": item, "outcome": outcome,
                   "for": counts["for"], "against": counts["against"], "abstain": counts["abstain"],
                   "voting_present": voting_present, "quorum": quorum, "meeting_date": day.isoformat(),
                   **({"amends": amends, "reason": reason} if amends else {})}
        add_history(engine, session, cycle, now, actor, "decide", trigger=None, from_state=cycle.state,
                    to_state=cycle.state, comment=comment, data={**summary, "digest": digest_of(decision)})
        add_event(session, cycle, now, "DecisionRecorded", **summary)
        return Recorded(cycle.key, board, item, outcome, counts["for"], counts["against"], counts["abstain"],
                        voting_present, quorum, decision.id, amends, spec.name, definition.item_title(board, item))


def refuse_minuted(session: Session, board_name: str, board: str, day: dt.date) -> None:
    """Refuse a decision recorded, amended or rescinded for a meeting whose minutes were approved: they are the
    signed record of that meeting and never change; a correction is business of a later meeting."""
    approved = session.scalar(select(MinutesApproval.approved_on).where(MinutesApproval.board == board,
                                                                        MinutesApproval.meeting_date == day))
    if approved is not None:
        raise InvalidInput(f"the {board_name} met on {written_date(day)} and the minutes of that meeting were "
                           f"approved on {written_date(approved)}: record it at a later meeting")


def decision_register(session: Session, cycle: Cycle) -> dict[int, tuple[str, str, str, dt.date, dict[str, Any]]]:
    """The cycle's decisions by id: board, item, outcome, meeting date, details."""
    rows = session.execute(select(Decision.id, Decision.board, Decision.item, Decision.outcome,
                                  Decision.meeting_date, Decision.details)
                           .where(Decision.cycle_id == cycle.id).order_by(Decision.id))
    return {row[0]: (row[1], row[2], row[3], row[4], row[5] or {}) for row in rows}


def rescind(engine: Store, cycle_ref: str | int, decision_id: int, actor: str, *, reason: str | None,
            meeting_date: dt.date | None = None, comment: str | None = None) -> Recorded:
    """Record that a board rescinded decision `decision_id`: a new row; the old one stays as it was."""
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle, definition = acting(engine, session, cycle_ref, actor, "decide")
        register = decision_register(session, cycle)
        found = register.get(decision_id)
        check_target(decision_id=decision_id, found=found[:2] if found else None, board="", item="",
                     gone=superseded(d for *_, d in register.values()), reason=reason, verb="rescind")
        assert found is not None
        board, item = found[0], found[1]
        quorum = session.get(Decision, decision_id).quorum  # type: ignore[union-attr]
        day = meeting_date or local_date(now)
        refuse_minuted(session, definition.boards[board].name if board in definition.boards else board, board, day)
        decision = Decision(
            cycle_id=cycle.id, board=board, item=item, outcome=RESCINDED,
            resolution=f"That decision {decision_id} be rescinded.", meeting_date=day, votes_for=0,
            votes_against=0, abstentions=0, voting_present=0, quorum=quorum, recorded_by=actor,
            recorded_at=now, attendees=[],
            details={"supersedes": decision_id, "kind": "rescission", "reason": reason})
        session.add(decision)
        cycle.updated_at = now
        flag_modified(cycle, "updated_at")
        session.flush()
        summary = {"decision_id": decision.id, "board": board, "item": item, "outcome": RESCINDED,
                   "rescinds": decision_id, "reason": reason, "meeting_date": day.isoformat()}
        add_history(engine, session, cycle, now, actor, "rescind", trigger=None, from_state=cycle.state,
                    to_state=cycle.state, comment=comment, data={**summary, "digest": digest_of(decision)})
        add_event(session, cycle, now, "DecisionRecorded", **summary)
        return Recorded(cycle.key, board, item, RESCINDED, 0, 0, 0, 0, quorum, decision.id, decision_id,
                        definition.boards[board].name if board in definition.boards else board,
                        definition.item_title(board, item))
