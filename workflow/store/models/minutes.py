"""Minutes of a board's meetings: the numbers given to each minute, every saved version, and the approval.

A board meeting is a board id and a day. All three tables are append-only (the database refuses UPDATE and
DELETE, as it does for decisions): a minute's number never changes once given, a version is never rewritten
(a new one is added), and once an approval row exists the database refuses any further version of those
minutes (`0008c_minutes`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class MinuteNumber(Base):
    """The number a minute of a board was given, when its meeting's draft was first made (or, for business
    recorded later, when the minutes were next saved)."""

    __tablename__ = "minute_numbers"
    __table_args__ = (UniqueConstraint("board", "number", name="uq_minute_numbers_board"),
                      UniqueConstraint("board", "meeting_date", "minute", name="uq_minute_numbers_board_meeting_date"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(100))
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    minute: Mapped[str] = mapped_column(String(100))  # 'interests', 'decision:12', 'exclusion', 'minutes'
    number: Mapped[int] = mapped_column(Integer)  # shown after the board's `minute_prefix`: SMK12
    given_at: Mapped[dt.datetime]


class MinutesVersion(Base):
    """One saved version of a meeting's minutes: the narrative of each minute, and SHA-256 over it."""

    __tablename__ = "minutes_versions"
    __table_args__ = (UniqueConstraint("board", "meeting_date", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(100))
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)  # 1 for the draft, then 2, ...
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"narratives": {minute: text}}
    sha256: Mapped[str] = mapped_column(String(64))
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[dt.datetime]


class MinutesApproval(Base):
    """The next meeting approved the minutes and the chair signed them: from then on they never change."""

    __tablename__ = "minutes_approvals"
    __table_args__ = (UniqueConstraint("board", "meeting_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board: Mapped[str] = mapped_column(String(100))
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    approved_on: Mapped[dt.date] = mapped_column(Date)  # the day of the meeting that approved them
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the version approved
    chair: Mapped[str] = mapped_column(String(300))  # who signed, as the board names its chair
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime]
