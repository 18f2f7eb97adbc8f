"""The one way each date, time and size is written, whatever page, email, document or command shows it."""

from __future__ import annotations

import datetime as dt

from workflow.definition.formatting import (
    byte_size,
    date_time,
    local_time,
    long_date,
    month_year,
    short_date,
    short_date_time,
    table_date,
    utc_stamp,
    written_date,
)
from workflow.store.backoff import Backoff, doubling_delay

DAY = dt.date(2026, 12, 6)
# 23:30 UTC on 30 June is already 1 July in the UK (BST): every reader sees the UK day.
SUMMER_NIGHT = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)


def test_each_date_form() -> None:
    assert long_date(DAY) == "Sunday 6 December 2026"
    assert written_date(DAY) == "6 December 2026"
    assert short_date(DAY) == "6 Dec 2026"
    assert table_date(DAY) == "Sun 6 Dec 2026"
    assert month_year(DAY) == "Dec 2026"


def test_dates_accept_what_templates_hold_and_read_moments_in_uk_time() -> None:
    assert long_date("2026-12-06") == long_date(DAY)
    assert written_date(SUMMER_NIGHT) == "1 July 2026"
    assert written_date(SUMMER_NIGHT.isoformat()) == "1 July 2026"
    assert long_date(None) == short_date("") == ""


def test_times_are_in_uk_time_and_stamps_in_utc() -> None:
    assert local_time(SUMMER_NIGHT) == "Wednesday 1 July 2026 at 12:30am"
    assert local_time(dt.datetime(2026, 12, 6, 14, 5)) == "Sunday 6 December 2026 at 2:05pm"  # naive is UTC
    assert date_time(SUMMER_NIGHT) == "1 July 2026, 00:30"
    assert short_date_time(SUMMER_NIGHT) == "1 Jul 2026 00:30"
    assert utc_stamp(SUMMER_NIGHT) == "2026-06-30 23:30 UTC"


def test_byte_sizes() -> None:
    assert byte_size(512) == "512 bytes"
    assert byte_size(1536) == "1.5 KB"
    assert byte_size(20 * 1024 * 1024) == "20.0 MB"
    assert byte_size(None) == ""


def test_one_doubling_delay_for_every_retry() -> None:
    assert [doubling_delay(n, base=30, cap=100) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
    assert Backoff(base=30, cap=100).delay(2) == dt.timedelta(seconds=60)
