"""A case's fields: the values of the case data its definition declares (`workflow/definition/case_fields.py`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class CaseFieldValue(Base):
    """One field's current value on one cycle. Not append-only: the history records each change (a personal
    value as a digest keyed by `salt`); retention erases a personal value and its salt together."""

    __tablename__ = "case_fields"
    __table_args__ = (UniqueConstraint("cycle_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)  # None once erased
    personal: Mapped[bool]
    # A random key per cycle and field, for the digest the history keeps of a personal value; None once erased.
    salt: Mapped[str | None] = mapped_column(String(64))
    set_at: Mapped[dt.datetime]
    set_by: Mapped[str] = mapped_column(String(100))
    erased_at: Mapped[dt.datetime | None]
