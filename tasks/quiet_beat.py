"""The scheduler (Celery beat) logging a broker outage once, as the workers log a database outage.

Celery's own scheduler logs "Message Error" with two stack traces for every due task it cannot
send: about eighty tracebacks for a ten-second Redis restart, burying the one line an operator
needs. This one logs "broker unreachable: ..." when the first send fails and "broker back after
N s" when one succeeds again; a failure that is not about reaching the broker keeps Celery's
full report. Nothing is lost either way: the sweep, relay and delivery ticks are periodic and the
next one after the outage does the work.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler
from kombu.exceptions import OperationalError as BrokerError

from workflow.store.backoff import describe

log = logging.getLogger("cycle.broker")


def _broker_error(error: BaseException, connection_errors: tuple[type[BaseException], ...]) -> BaseException | None:
    """The broker-reaching error behind `error` (Celery wraps it in a SchedulingError), if there is one."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (BrokerError, ConnectionError, *connection_errors)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class QuietScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's persistent scheduler, one log line per broker state change."""

    down_since: float | None = None

    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        log.info("Sending due task %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:
            cause = _broker_error(exc, tuple(self.app.connection_for_write().connection_errors))
            if cause is None:
                log.error("could not send the scheduled task %s: %s", entry.name, describe(exc), exc_info=True)
                return
            if self.down_since is None:
                self.down_since = time.monotonic()
                log.warning("broker unreachable: %s; scheduled work waits for it", describe(cause))
        else:
            if self.down_since is not None:
                log.warning("broker back after %.0f s", time.monotonic() - self.down_since)
                self.down_since = None
