"""A cycle's contacts outside the directory (`case_roles` of the definition), and the letters written to them for post."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class CaseContact(Base):
    """One person in one case role of one cycle; removed, the row stays with who removed it and when."""

    __tablename__ = "case_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    role: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(Text)  # a postal address, lines separated by newlines
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[dt.datetime]
    removed_by: Mapped[str | None] = mapped_column(String(100))
    removed_at: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]  # name, email and address emptied after the case's retention period
    # The key of the digests the history keeps of the name, email and address (`workflow.store.field_digest`).
    salt: Mapped[str | None] = mapped_column(String(64))


class CaseLetter(Base):
    """A reminder to a contact with no email, rendered as a PDF (kept by its SHA-256) for an officer to post."""

    __tablename__ = "case_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)  # the reminder occurrence and the contact: one letter
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("case_contacts.id"))
    subject: Mapped[str] = mapped_column(String(300))
    pdf_sha256: Mapped[str] = mapped_column(String(64))  # kept after erasure: the digest of the PDF destroyed
    created_at: Mapped[dt.datetime]
    erased_at: Mapped[dt.datetime | None]  # subject and PDF destroyed after the case's retention period


class CaseLetterPost(Base):
    """A letter for post marked posted: who said so, the day it went, and when they said it. Append-only: one per
    letter, never changed."""

    __tablename__ = "case_letter_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("case_letters.id"), unique=True)
    posted_on: Mapped[dt.date] = mapped_column(Date)
    posted_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime]
