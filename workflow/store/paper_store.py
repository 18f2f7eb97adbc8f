"""Content-addressed storage for attached papers and generated documents, under the data directory.

`PaperStore` is also the interface every caller takes (the engine, documents, delivery);
`stored_files.DatabaseStore` is the same interface over the database, for workers that share no folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workflow.errors import CycleError


class StoredFileAltered(CycleError):
    """A stored paper or document is missing or no longer matches the SHA-256 it was stored under."""


READ_CHUNK = 1024 * 1024


class PaperStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = f"the folder {root}"

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Store `content` under its SHA-256 and return the hash; storing twice is harmless."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half-written paper under its hash.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def destroy(self, sha256: str) -> None:
        """Remove what is stored under `sha256` (retention's erasure); nothing stored is no error."""
        self.path_for(sha256).unlink(missing_ok=True)

    def stream(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes a chunk at a time; FileNotFoundError (at once) when nothing is stored under `sha256`."""
        handle = self.path_for(sha256).open("rb")

        def chunks() -> Iterator[bytes]:
            with handle:
                while data := handle.read(READ_CHUNK):
                    yield data

        return chunks()

    def get_verified(self, sha256: str, what: str) -> bytes:
        """The stored bytes, only if they still hash to `sha256`: nothing changed on disk is ever sent."""
        try:
            content = self.get(sha256)
        except FileNotFoundError:
            raise StoredFileAltered(f"{what} is missing from {self.where} (expected under SHA-256 {sha256})") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise StoredFileAltered(f"{what} no longer matches its SHA-256 {sha256}: the copy in {self.where} was "
                                    "changed; run 'cycle documents verify' and restore it from a backup")
        return content

    def check(self, sha256: str) -> str | None:
        """What is wrong with the stored file, or None when it still matches its SHA-256."""
        try:
            chunks = self.stream(sha256)
        except (FileNotFoundError, IsADirectoryError):
            return "the file is missing"
        digest = hashlib.sha256()
        for data in chunks:
            digest.update(data)
        actual = digest.hexdigest()
        return None if actual == sha256 else f"the file now hashes to {actual}"
