"""The tables of a running cycle, and the declarative base every table shares.

Schema changes go through Alembic (`workflow/store/migrations`); these classes and
the latest migration describe the same tables, which a test checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class DefinitionSnapshot(Base):
    """The exact text and templates of each definition version a cycle was started on."""

    __tablename__ = "definitions"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(500))
    registered_at: Mapped[dt.datetime]
    # Every template it renders with, by name: running cycles render with these, not the folder's.
    templates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class Cycle(Base):
    __tablename__ = "cycles"
    # One cycle a year of a yearly definition (reference NULL); cases are unique by key (their reference).
    __table_args__ = (Index("uq_cycles_yearly", "definition_id", "year", unique=True,
                            postgresql_where=text("reference IS NULL"), sqlite_where=text("reference IS NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    definition_id: Mapped[str] = mapped_column(String(100))
    definition_version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(120), nullable=True)  # a case's; NULL: yearly
    state: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | complete
    started_at: Mapped[dt.datetime]
    started_by: Mapped[str] = mapped_column(String(100))
    state_entered_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    strands: Mapped[list[StrandState]] = relationship(back_populates="cycle", order_by="StrandState.id")


class CycleRecord(Protocol):
    """What a command reads of a cycle: a loaded `Cycle`, or the plain row a fire reads instead
    (`workflow.commands.cycles.CycleRow`, which makes no ORM object)."""

    @property
    def id(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def definition_id(self) -> str: ...
    @property
    def definition_version(self) -> int: ...
    @property
    def year(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def state_entered_at(self) -> dt.datetime: ...
    @property
    def version(self) -> int: ...


class StrandState(Base):
    __tablename__ = "strands"
    __table_args__ = (UniqueConstraint("cycle_id", "strand"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    stage: Mapped[str] = mapped_column(String(100))
    strand: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime]

    cycle: Mapped[Cycle] = relationship(back_populates="strands")


class HistoryEntry(Base):
    """Append-only: one row per accepted command, never updated or deleted, chained by `hash`."""

    __tablename__ = "history"
    # The chain trigger reads the cycle's latest row: one backward step of this index. The lists of cycles read
    # the meetings moved (action 'meeting', a few rows among every fire) of all running cycles at once.
    __table_args__ = (
        Index("ix_history_chain", "cycle_id", "id"),
        Index("ix_history_meeting_changes", "cycle_id", "id", postgresql_where=text("action = 'meeting'"),
              sqlite_where=text("action = 'meeting'")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # start | fire | decide | attach
    trigger: Mapped[str | None] = mapped_column(String(100))
    strand: Mapped[str | None] = mapped_column(String(100))
    from_state: Mapped[str | None] = mapped_column(String(100))
    to_state: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # SHA-256 over the previous row of the cycle and this one, set by the database (`workflow/store/audit.py`).
    hash: Mapped[str | None] = mapped_column(String(64))
    # HMAC-SHA256 with the audit key, set by the application when it has one (`workflow/store/audit_seal.py`).
    seal: Mapped[str | None] = mapped_column(String(100))
    # Written in a rehearsal database (simulated time); set by the database, as is `at` on PostgreSQL.
    rehearsal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OutboxEvent(Base):
    """Domain events written in the command's transaction; a relay publishes them after commit."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "id", postgresql_where=text("handled_at IS NULL"),
              sqlite_where=text("handled_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    dispatched_at: Mapped[dt.datetime | None]
    handled_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # times published
    # A handler that raised: how often, why, when it is tried again; `failed_at` once it gave up.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    board: Mapped[str] = mapped_column(String(100))
    item: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))  # carried | lost | deferred
    resolution: Mapped[str] = mapped_column(Text)
    meeting_date: Mapped[dt.date] = mapped_column(Date)
    votes_for: Mapped[int] = mapped_column(Integer)
    votes_against: Mapped[int] = mapped_column(Integer)
    abstentions: Mapped[int] = mapped_column(Integer)
    voting_present: Mapped[int] = mapped_column(Integer)
    quorum: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")  # e.g. priorities agreed
    rehearsal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    attendees: Mapped[list[DecisionAttendee]] = relationship(order_by="DecisionAttendee.id")


class DecisionAttendee(Base):
    __tablename__ = "decision_attendees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    person: Mapped[str] = mapped_column(String(100))
    membership: Mapped[str] = mapped_column(String(20))
    attendance: Mapped[str] = mapped_column(String(20))  # present | apologies
    vote: Mapped[str | None] = mapped_column(String(10))  # for | against | abstain
    interest: Mapped[str | None] = mapped_column(Text)


class Paper(Base):
    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    paper: Mapped[str] = mapped_column(String(100))
    # The stage it was attached for: its board's business, and who may see it if exempt (`workflow.definition.entitlement`).
    stage: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    exempt_reason: Mapped[str | None] = mapped_column(String(300))
    attached_by: Mapped[str] = mapped_column(String(100))
    attached_at: Mapped[dt.datetime]


class Deadline(Base):
    """Something that must happen at a time: a timed transition, a stage falling overdue.

    The sweep claims due rows through the partial index on (due_at, id) of the pending rows,
    in that order, so its cost follows what is due, not how many cycles exist (nor how many
    pending rows share one `due_at`, as the 09:00 reminders do). A query can only use that
    index when it says `status = 'pending'` as a literal, not as a bound parameter.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_due", "due_at", "id", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # one row per effect, whoever creates it
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    stage: Mapped[str] = mapped_column(String(100))
    strand: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))  # timed_transition | strand_trigger | stage_overdue
    trigger: Mapped[str | None] = mapped_column(String(100))
    entry: Mapped[int] = mapped_column(BigInteger)  # the StageEntered event that created it
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | skipped | cancelled | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # An action that raised: how often, and not before when (real time) it is tried again.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    done_at: Mapped[dt.datetime | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class Effect(Base):
    """The unique key of every side effect a handler has performed: a redelivered event finds it and stops."""

    __tablename__ = "effects"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]


class DatabaseMark(Base):
    """Facts about the database itself, written by its owner: 'rehearsal' allows simulated time."""

    __tablename__ = "database_marks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SimulatedNow(Base):
    """The shared simulated clock for rehearsals and tests: one row, read by every process."""

    __tablename__ = "simulated_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[dt.datetime]
