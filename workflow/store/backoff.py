"""How work that raised is tried again: doubling delays, and a bound after which it is marked failed.

One policy for deadlines, events and mail, so a poison item stops only itself: it is
put off, then set aside for an officer (`cycle deadlines|events|mail retry`), while
the rest of the sweep and the relay go on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def doubling_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait before trying again after the `attempt`-th failure: base, 2*base, 4*base, ... up to cap.

    The one formula for every retry in the product (sweeps, the relay, mail delivery).
    """
    return float(min(base * 2 ** max(attempt - 1, 0), cap))


@dataclass(frozen=True, kw_only=True)
class Backoff:
    base: float = 30.0  # seconds before the first retry; doubles each time
    cap: float = 3600.0
    limit: int = 5  # failures after which the item is marked failed

    def delay(self, failures: int) -> dt.timedelta:
        return dt.timedelta(seconds=doubling_delay(failures, base=self.base, cap=self.cap))

    def gives_up(self, failures: int) -> bool:
        return failures >= self.limit


def describe(error: BaseException) -> str:
    """One line for `last_error`: the exception's kind and message, without a traceback."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:2000] if text else type(error).__name__
