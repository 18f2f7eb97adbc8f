"""Whether a stored file was destroyed by retention, so a download or a check says so rather than "missing"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from workflow.errors import NotFound
from workflow.store.models import ErasedFile
from workflow.store.unit import Store
from workflow.time.clock import local_date


class ErasedAfterRetention(NotFound):
    """The file asked for was destroyed after its case's retention period; its record and digest remain."""


def erased_on(store: Store, sha256: str) -> dt.date | None:
    """The day the file stored under `sha256` was destroyed by retention, or None if it was not."""
    with store.sessions() as session:
        when = session.scalar(select(ErasedFile.erased_at).where(ErasedFile.sha256 == sha256))
    return local_date(when) if when is not None else None


def require_kept(store: Store, sha256: str, what: str) -> None:
    """Refuse, in one sentence, to hand out a file retention destroyed."""
    day = erased_on(store, sha256)
    if day is not None:
        raise ErasedAfterRetention(f"{what} was erased on {day.isoformat()} after its case's retention period; "
                                   f"only its record and SHA-256 {sha256} remain")


def erased_hashes(store: Store) -> set[str]:
    """Every SHA-256 whose file retention destroyed (for `cycle documents verify`)."""
    with store.sessions() as session:
        return set(session.scalars(select(ErasedFile.sha256)))
