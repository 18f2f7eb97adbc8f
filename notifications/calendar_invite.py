"""The iCalendar invite a board meeting reminder carries, so the meeting lands in members' diaries."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from workflow.definition import Definition, Meeting


def meeting_invite(definition: Definition, cycle_key: str, meeting: Meeting, day: dt.date, now: dt.datetime) -> str:
    """An all-day event (definitions fix the day, not the hour) with a UID stable per cycle and meeting."""
    calendar = Calendar()
    calendar.add("prodid", "-//strategy-cycle//board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{cycle_key}.{meeting.id}@strategy-cycle")
    event.add("summary", meeting.title)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("dtstamp", now)
    event.add("description", f"{definition.boards[meeting.board].name}: {definition.title} ({cycle_key})")
    event.add("transp", "TRANSPARENT")
    calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
