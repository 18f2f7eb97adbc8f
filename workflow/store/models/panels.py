"""Panels chosen for a cycle at a stage (a definition's `panel:`), one row per member per choice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class PanelMember(Base):
    """A person chosen for a cycle's panel. Rows are never changed: choosing the panel again adds a choice with a
    higher number, and the panel is the latest choice's members."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("cycle_id", "panel", "choice", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    panel: Mapped[str] = mapped_column(String(100))
    choice: Mapped[int] = mapped_column(Integer)  # 1 for the first choice of this panel in the cycle, then 2, ...
    person: Mapped[str] = mapped_column(String(100))  # their id in the definition's directory
    chosen_by: Mapped[str] = mapped_column(String(100))
    chosen_at: Mapped[dt.datetime]
