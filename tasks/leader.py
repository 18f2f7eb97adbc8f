"""One scheduler at a time: the periodic relay and sweep are sent by whoever holds this lock.

On PostgreSQL it is a session advisory lock, on the embedded default a file lock
in the data directory; both are released by the operating system when the
holder dies, so a standby scheduler takes over without anyone's help. A second
scheduler started by mistake waits instead of doubling the schedule (and the
sweep's SKIP LOCKED claims would absorb a double anyway).
"""

from __future__ import annotations

import fcntl
import logging
import time
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.pool import NullPool

from workflow.settings import Settings
from workflow.store.db import make_engine

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x5C7C1E  # "strategy-cycle scheduler"


class SchedulerLock:
    def __init__(self, settings: Settings, *, poll: float = 2.0) -> None:
        self.settings = settings
        self.poll = poll
        self._held: Any = None
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._held is not None or self._file is not None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.settings.embedded:
            path = self.settings.data_dir / "scheduler.lock"
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("ab")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            self._file = handle
            return True
        engine = make_engine(self.settings.database_url, poolclass=NullPool)
        connection = engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        connection.commit()
        if got:
            self._held = connection  # the lock lives as long as this connection
            return True
        connection.close()
        engine.dispose()
        return False

    def acquire(self) -> None:
        announced = False
        while not self.try_acquire():
            if not announced:
                log.warning("another scheduler is running; this one stands by until it stops")
                announced = True
            time.sleep(self.poll)
        log.info("this process is the scheduler")

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._held is not None:
            self._held.close()
            self._held = None
