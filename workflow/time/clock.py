"""Where "now" comes from: every command and sweep asks a clock, never the OS directly.

A simulated clock lets a test or a demo run a nine-month cycle in seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Protocol

from workflow.definition.calendar import (
    LOCAL as LOCAL,  # the definition's zone; imported from here too
)
from workflow.errors import CycleError


class ClockNotSet(CycleError):
    """The shared simulated clock was asked for the time before anyone set it."""


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


class SettableClock(Clock, Protocol):
    """A clock a rehearsal can move: the in-process simulated one or the shared one."""

    def set(self, when: dt.datetime) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class SimulatedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a simulated clock needs a timezone-aware start time")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, when: dt.datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("a simulated clock needs timezone-aware times")
        with self._lock:
            self._now = when

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        with self._lock:
            self._now += delta
            return self._now


def local_date(moment: dt.datetime) -> dt.date:
    """The date in England for a moment: deadlines are English calendar days."""
    return moment.astimezone(LOCAL).date()


def at_local(day: dt.date, hour: int = 9) -> dt.datetime:
    """A moment on an English calendar day (09:00 by default), in UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL).astimezone(dt.UTC)


class SharedClock:
    """A simulated clock kept in the database, so a demo's workers and players share one "now".

    Set it with `cycle clock set`; every process that runs with CYCLE_CLOCK=shared reads it.
    """

    def __init__(self, read: Callable[[], dt.datetime | None], write: Callable[[dt.datetime], None]) -> None:
        self._read = read
        self._write = write

    def now(self) -> dt.datetime:
        found = self._read()
        if found is None:
            raise ClockNotSet("the shared clock has not been set: run 'cycle clock set <when>' first")
        return found

    def set(self, when: dt.datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the shared clock needs timezone-aware times")
        self._write(when)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        moved = self.now() + delta
        self._write(moved)
        return moved
