"""Papers and documents kept in the database (CYCLE_STORAGE=database), so workers on several machines need no shared folder.

The same interface as `paper_store.PaperStore` (put, get, get_verified, check, stream): content-addressed
by SHA-256, so papers and documents share one table and storing twice is harmless. A file is
written as 1 MiB chunks in one transaction (whole or absent) and read chunk by chunk through a
server-side cursor, so no single value or network message holds a whole 50 MB paper.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from workflow.store.models import StoredChunk, StoredFile
from workflow.store.paper_store import PaperStore

CHUNK = 1024 * 1024


class Storage(Protocol):
    """What of the settings (`workflow.settings.Settings`) says where files are kept; storage sits below them."""

    @property
    def storage(self) -> str: ...

    @property
    def papers_dir(self) -> Path: ...

    @property
    def documents_dir(self) -> Path: ...


class DatabaseStore(PaperStore):
    """Stored files in the `stored_files` and `stored_chunks` tables of the cycle database.

    A `PaperStore` by type, so every caller that takes one (the engine, documents, delivery) takes this
    one unchanged; it has no folder, and overrides every method that would touch one.
    """

    def __init__(self, database: SqlEngine, chunk: int = CHUNK) -> None:
        # No super().__init__(): there is no folder, and no method here reads `root`.
        self.database = database
        self.chunk = chunk
        self.where = "the database"

    def put(self, content: bytes) -> str:
        """Store `content` under its SHA-256 and return the hash; storing twice is harmless."""
        digest = hashlib.sha256(content).hexdigest()
        if self._exists(digest):
            return digest
        view = memoryview(content)
        pieces = range(0, len(content), self.chunk)
        try:
            with self.database.begin() as connection:
                connection.execute(insert(StoredFile).values(sha256=digest, size=len(content), chunks=len(pieces),
                                                             stored_at=dt.datetime.now(dt.UTC)))
                for seq, start in enumerate(pieces):
                    connection.execute(insert(StoredChunk).values(sha256=digest, seq=seq,
                                                                  data=bytes(view[start:start + self.chunk])))
        except IntegrityError:
            # Another worker stored the same bytes at the same moment: its copy is as good as ours.
            if not self._exists(digest):
                raise
        return digest

    def stream(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, a chunk at a time; FileNotFoundError when nothing is stored under `sha256`."""
        if not self._exists(sha256):
            raise FileNotFoundError(f"nothing is stored in the database under SHA-256 {sha256}")
        return self._chunks(sha256)

    def _chunks(self, sha256: str) -> Iterator[bytes]:
        query = select(StoredChunk.data).where(StoredChunk.sha256 == sha256).order_by(StoredChunk.seq)
        with self.database.connect() as connection:
            for data in connection.execution_options(stream_results=True, yield_per=1).scalars(query):
                yield bytes(data)

    def get(self, sha256: str) -> bytes:
        return b"".join(self.stream(sha256))

    def destroy(self, sha256: str) -> None:
        """Remove the file's chunks and row (retention's erasure); nothing stored is no error."""
        with self.database.begin() as connection:
            connection.execute(delete(StoredChunk).where(StoredChunk.sha256 == sha256))
            connection.execute(delete(StoredFile).where(StoredFile.sha256 == sha256))

    def path_for(self, sha256: str) -> Path:
        raise TypeError(f"{self.where} keeps files in tables, not under paths; use stream() or check()")

    def _exists(self, sha256: str) -> bool:
        with self.database.connect() as connection:
            return connection.scalar(select(StoredFile.size).where(StoredFile.sha256 == sha256)) is not None


def papers_store(settings: Storage, database: SqlEngine) -> PaperStore:
    """Where attached papers are kept: the data directory's papers/ folder, or the database."""
    return DatabaseStore(database) if settings.storage == "database" else PaperStore(settings.papers_dir)


def documents_store(settings: Storage, database: SqlEngine) -> PaperStore:
    """Where generated sign-off documents are kept: the documents/ folder, or the database."""
    return DatabaseStore(database) if settings.storage == "database" else PaperStore(settings.documents_dir)
