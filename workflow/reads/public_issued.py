"""What a board issues for a meeting, as the public site lists it: the issued public agenda pack and the
approved minutes.

- The agenda pack: the public pack of the meeting's latest issued version (`documents` rows of spec
  `agenda_pack`, version `public`, each recorded on its AgendaIssued event). Never a private pack: those are
  versions `exempt`, `exempt-2` ... and are not read here.
- The minutes: once approved at the board's next meeting, their public part (`minutes.public_minutes_of`):
  the open minutes and the exclusion resolution with its paragraphs, never a private minute. Until approved,
  nothing: a draft is for the members.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.agenda import ISSUED
from workflow.definition.formatting import long_date
from workflow.store.models import Document, MinutesApproval, OutboxEvent

PACK, MINUTES = "pack", "minutes"
"""The kinds of issued document a download address names: `pack-12` (a document row), `minutes-5` (an approval)."""
PACK_SPEC = "agenda_pack"


@dataclass(frozen=True)
class Issued:
    """One issued document of a board's meeting on a day."""

    ref: str
    kind: str  # 'Agenda pack' | 'Minutes'
    title: str
    published: dt.datetime
    board: str
    day: dt.date


def issued_packs(session: Session) -> list[Issued]:
    """Each meeting's public agenda pack of its latest issued version."""
    rows = session.execute(select(Document, OutboxEvent.payload).join(OutboxEvent, OutboxEvent.id == Document.event_id)
                           .where(Document.spec == PACK_SPEC, Document.version == "public",
                                  OutboxEvent.event_type == ISSUED).order_by(Document.id))
    latest: dict[tuple[str, str], tuple[int, Document]] = {}
    for document, payload in rows:
        key = (str(payload.get("board", "")), str(payload.get("day", "")))
        version = int(payload.get("version", 0))
        if key not in latest or version >= latest[key][0]:
            latest[key] = (version, document)
    return [Issued(f"{PACK}-{document.id}", "Agenda pack", document.title.removeprefix("Agenda pack: "),
                   document.created_at, board,
                   dt.date.fromisoformat(day)) for (board, day), (_, document) in latest.items()]


def approved_minutes(session: Session, board_names: dict[str, str]) -> list[Issued]:
    """Each meeting's minutes once approved, published when they were approved."""
    rows = session.scalars(select(MinutesApproval).order_by(MinutesApproval.id))
    return [Issued(f"{MINUTES}-{row.id}", "Minutes",
                   f"{board_names.get(row.board, row.board)}, {long_date(row.meeting_date)}",
                   row.approved_at, row.board, row.meeting_date) for row in rows]


def approval(session: Session, number: int) -> MinutesApproval | None:
    return session.get(MinutesApproval, number)
