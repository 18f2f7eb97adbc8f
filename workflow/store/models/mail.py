"""Email the workers send and the sign-off documents they generate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class Mail(Base):
    """One email to one person, rendered when it was due and delivered by the workers.

    `key` is unique per (reminder occurrence or document, recipient): the same reminder
    can never be queued twice. Delivery claims a row before sending, so a redelivered
    task finds it taken or sent and sends nothing.
    """

    __tablename__ = "mail"
    __table_args__ = (
        Index("ix_mail_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'retrying')"),
              sqlite_where=text("status IN ('pending', 'retrying')")),
        # Operations lists every email not sent (failed, uncertain, ...): a few rows among years of sent mail.
        Index("ix_mail_unsent", "next_attempt_at", postgresql_where=text("status <> 'sent'"),
              sqlite_where=text("status <> 'sent'")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"), index=True)  # None: an account's mail
    kind: Mapped[str] = mapped_column(String(30))  # reminder | document | account
    person: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(300))
    dated: Mapped[dt.datetime]  # the Date the email carries: when it was due, in the cycle's time
    status: Mapped[str] = mapped_column(String(20))  # pending | sending | sent | retrying | failed | uncertain
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    # While 'sending': 'connecting' until the SMTP DATA command begins, then 'data'. An expired lease
    # sends a 'connecting' row again without doubt; only a 'data' row may have left.
    phase: Mapped[str | None] = mapped_column(String(20))
    # Subject and bodies emptied after the case's retention period, when written with personal values.
    erased_at: Mapped[dt.datetime | None]


class Document(Base):
    """A generated sign-off record or pack, one row per version (public, or exempt where exempt papers were considered).

    The files live in the data directory under their SHA-256; `cycle documents verify`
    re-hashes them against these rows.
    """

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("event_id", "spec", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger)  # the GatePassed event it records
    spec: Mapped[str] = mapped_column(String(100))  # the definition's document id
    version: Mapped[str] = mapped_column(String(10))  # public | exempt
    title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[str] = mapped_column(String(100))
    definition_version: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(200))
    template_sha256: Mapped[str] = mapped_column(String(64))
    html_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
