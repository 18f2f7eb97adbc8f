"""Operational tables: workers' heartbeats and restarts, and counts of refused commands."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class Heartbeat(Base):
    """The last sign of life of each worker and scheduler, so `cycle health` on any machine sees them."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. worker:demo1@host, scheduler
    role: Mapped[str] = mapped_column(String(20))  # worker | scheduler
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime]
    beat_at: Mapped[dt.datetime]


class WorkerRestart(Base):
    """`cycle worker` restarted a consumer process that died: who, when, and how it ended (for `cycle health`)."""

    __tablename__ = "worker_restarts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    exit_code: Mapped[int] = mapped_column(Integer)  # negative: killed by that signal
    restarted_at: Mapped[dt.datetime] = mapped_column(index=True)


class RefusalCount(Base):
    """How many fires were refused, by reason: operational figures for the metrics, not a cycle's record.

    Written in its own short transaction after the refused command rolled back, so the
    cycle's tables stay exactly as they were (`workflow/store/tally.py`).
    """

    __tablename__ = "refusal_counts"

    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[dt.datetime]
