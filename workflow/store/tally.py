"""Fires and refused fires, counted for the metrics, whichever way they came in.

A fire is counted from history: every accepted fire leaves exactly one row, whether
an officer fired from the command line, the API or a page, or the scheduler did.
A refused fire leaves nothing in the cycle's tables, so it is counted in
`refusal_counts`, an operational table, in its own short transaction after the
command rolled back (or, for the sweep, in the sweep's own transaction). The reason
a refusal is counted under is the error class's `reason` (`workflow/errors.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.errors import CycleError
from workflow.store.models import HistoryEntry, RefusalCount
from workflow.store.unit import Store

log = logging.getLogger(__name__)

UPSERT = {True: postgresql.insert(RefusalCount), False: sqlite.insert(RefusalCount)}  # by `Store.on_postgresql`


def count_refusal(store: Store, session: Session, refused: CycleError) -> None:
    """Add one to the refusals of `refused`'s reason, in the caller's transaction."""
    statement: Any = UPSERT[store.on_postgresql].values(reason=refused.reason, count=1,
                                                        last_at=dt.datetime.now(dt.UTC))  # real time, as for heartbeats
    session.execute(statement.on_conflict_do_update(
        index_elements=["reason"], set_={"count": RefusalCount.count + 1, "last_at": statement.excluded.last_at}))


def record_refusal(engine: Store, refused: CycleError) -> None:
    """Count a refused command in a transaction of its own; a figure lost is logged, never the user's error."""
    try:
        with engine.unit_of_work() as session:
            count_refusal(engine, session, refused)
    except Exception as exc:  # e.g. the database busy: the person still gets the refusal, not this
        log.warning("refusal (%s) not counted: %s", refused.reason, exc)


def fires(session: Session) -> dict[str, int]:
    """Accepted fires by trigger, over the installation's whole history."""
    rows = session.execute(select(HistoryEntry.trigger, func.count()).where(HistoryEntry.action == "fire")
                           .group_by(HistoryEntry.trigger))
    return {str(trigger): int(count) for trigger, count in rows}


def refusals(session: Session) -> dict[str, int]:
    """Refused fires by reason."""
    return {reason: int(count) for reason, count in session.execute(select(RefusalCount.reason, RefusalCount.count))}
