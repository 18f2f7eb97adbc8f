"""Dates, times and sizes as people read them: one helper per form, for pages, emails, documents and the CLI.

Every date a person reads is in UK time (a stored moment is UTC) and written the way
letters and committee papers write it: "Sunday 6 December 2026", never "06/12/2026".
Each helper takes a date, an aware or naive datetime or an ISO string, and writes None
or "" as nothing, so templates can pass what they hold.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from workflow.definition.calendar import LOCAL


def _blank_when_empty(write: Callable[[Any], str]) -> Callable[[Any], str]:
    """None or "" (a template's missing value) is written as nothing, by every helper alike."""

    @functools.wraps(write)
    def guarded(value: Any) -> str:
        return "" if value is None or value == "" else write(value)

    return guarded


def as_day(value: dt.date | dt.datetime | str) -> dt.date:
    """The UK calendar day of a date, a moment (an aware one is read in UK time) or an ISO string."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL).date() if value.tzinfo else value.date()
    return value


def as_local(moment: dt.datetime | str) -> dt.datetime:
    """A moment in UK time; a naive one is taken as UTC, as the database stores it."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL)


@_blank_when_empty
def long_date(day: dt.date | str) -> str:
    """'Sunday 6 December 2026': letters, emails, documents and page headings."""
    d = as_day(day)
    return f"{d:%A} {d.day} {d:%B %Y}"


@_blank_when_empty
def written_date(day: dt.date | str) -> str:
    """'6 December 2026': a date inside a sentence."""
    d = as_day(day)
    return f"{d.day} {d:%B %Y}"


@_blank_when_empty
def short_date(day: dt.date | str) -> str:
    """'6 Dec 2026': table cells and short notes."""
    d = as_day(day)
    return f"{d.day} {d:%b %Y}"


@_blank_when_empty
def table_date(day: dt.date | str) -> str:
    """'Sun 6 Dec 2026': a terminal table's date column, where the weekday helps plan."""
    d = as_day(day)
    return f"{d:%a} {d.day} {d:%b %Y}"


@_blank_when_empty
def month_year(day: dt.date | str) -> str:
    """'Dec 2026': a month label on a chart or a progress bar."""
    return f"{as_day(day):%b %Y}"


def clock_time(moment: dt.datetime | str) -> str:
    """'2:05pm' in UK time."""
    local = as_local(moment)
    return f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


@_blank_when_empty
def local_time(moment: dt.datetime | str) -> str:
    """'Sunday 6 December 2026 at 2:05pm', in UK time whatever the server's zone."""
    return f"{long_date(as_local(moment).date())} at {clock_time(moment)}"


@_blank_when_empty
def date_time(moment: dt.datetime | str) -> str:
    """'6 December 2026, 14:05': when a document was generated (UK time)."""
    local = as_local(moment)
    return f"{written_date(local.date())}, {local:%H:%M}"


@_blank_when_empty
def short_date_time(moment: dt.datetime | str) -> str:
    """'6 Dec 2026 14:05' in UK time: a history row."""
    local = as_local(moment)
    return f"{short_date(local.date())} {local:%H:%M}"


def utc_stamp(moment: dt.datetime | None) -> str:
    """'2026-12-06 14:05 UTC': for operators comparing with logs, which are in UTC."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def byte_size(count: int | float | None) -> str:
    """'512 bytes', '1.5 KB', '20.0 MB' (1024-based, as file managers show it)."""
    if count is None:
        return ""
    if count < 1024:
        return f"{int(count)} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"
