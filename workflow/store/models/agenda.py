"""The committee manager's changes to a board meeting's agenda, and its issues: append-only rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class AgendaChange(Base):
    """One act on the agenda of a board's meeting (board id, day): an item added, moved or withdrawn, or the agenda
    issued. Never updated or deleted: the agenda is the business gathered from the cycles with these applied in
    order (`workflow.commands.agenda_build`). `seq` numbers a meeting's rows 1, 2, ...; two managers acting at once
    cannot both write the same number, so the second is told the agenda changed."""

    __tablename__ = "agenda_changes"
    __table_args__ = (UniqueConstraint("board", "day", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(100))
    day: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # add | move | withdraw | issue
    item: Mapped[str | None] = mapped_column(String(120))  # the item's key; None for an issue
    data: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime]
