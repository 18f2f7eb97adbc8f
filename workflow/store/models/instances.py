"""The numbers a case definition's references are made from (`reference: DHR-{year}-{seq:03}`)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class InstanceSequence(Base):
    """The last number given per definition and year (year 0 when the pattern has no {year})."""

    __tablename__ = "instance_sequences"

    definition_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
