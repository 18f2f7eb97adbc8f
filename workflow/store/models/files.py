"""Files kept in the database (CYCLE_STORAGE=database): papers and documents by SHA-256, in chunks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class StoredFile(Base):
    """A paper or document kept in the database (CYCLE_STORAGE=database), under its SHA-256.

    The row is written in the same transaction as its chunks, so a file is either whole or absent.
    """

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[dt.datetime]


class StoredChunk(Base):
    """One piece (at most 1 MiB) of a stored file, so neither a write nor a read holds a whole file in one value."""

    __tablename__ = "stored_chunks"

    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("stored_files.sha256", ondelete="CASCADE"),
                                        primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ErasedFile(Base):
    """A stored file destroyed after its case's retention period: the tombstone of its SHA-256.

    Rows that name the file (a document's exempt version, a letter) are kept, some in append-only
    tables; this says why their file is gone, so `cycle documents verify` and downloads tell an erased
    file from a lost one.
    """

    __tablename__ = "erased_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # document | letter
    erased_at: Mapped[dt.datetime]
