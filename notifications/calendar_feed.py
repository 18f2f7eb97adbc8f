"""A person's calendar subscription: every board meeting of theirs as one iCalendar feed a calendar app polls.

The events are the invitations' own (`meeting_event`): same UID, SEQUENCE, times in Europe/London,
venue and remote link; a feed publishes them rather than inviting. No paper, exempt or not, is in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar

from workflow.commands.meetings import Scheduled
from workflow.definition.directory import find_person
from workflow.definition.model import Definition

from .calendar_invite import local_zone, meeting_event


def subscriber_in(definition: Definition, email: str | None) -> str | None:
    """The id `email` has in `definition`'s directory; an address no person has yields an id no board holds."""
    if email is None:
        return None
    found = find_person(definition, email) if "@" in email else None  # an address, never an id
    return found.id if found is not None else ""


def calendar_feed(meetings: Iterable[tuple[Definition, str, Scheduled]], now: dt.datetime, *,
                  subscriber: str | None = None) -> str:
    """The feed of (definition, cycle key, meeting as it stands) triples; `subscriber` is the person's id in each."""
    listed = list(meetings)
    calendar = Calendar()
    calendar.add("prodid", "-//strategy-cycle//my board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "My board meetings")
    calendar.add("x-wr-timezone", "Europe/London")
    timed = [s.day for _, _, s in listed if s.meeting.start is not None]
    if timed:
        calendar.add_component(local_zone(min(timed), max(timed)))
    for definition, cycle_key, found in listed:
        calendar.add_component(meeting_event(definition, cycle_key, found.meeting, found.day, now,
                                             sequence=found.sequence, cancelled=found.cancelled,
                                             only=subscriber_in(definition, subscriber)))
    return str(calendar.to_ical().decode("utf-8"))
