"""The meeting invitation a board reminder carries, as an iTIP request a mail client offers to accept.

One UID per cycle and meeting, so every reminder for the same meeting updates one diary entry;
a moved meeting is the same UID with a higher SEQUENCE, a cancelled one METHOD:CANCEL.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from workflow.definition.model import Definition, Meeting, Membership, Person
from workflow.time.clock import LOCAL

TZID = "Europe/London"


def _address(person: Person) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name or person.title)
    return address


def organiser(definition: Definition, meeting: Meeting) -> Person | None:
    """The board's committee manager; failing that its first officer, failing that its chair."""
    board = definition.boards[meeting.board]
    chosen = board.organiser or next(iter(board.with_membership(Membership.OFFICER)), None) or board.chair
    return definition.people[chosen] if chosen else None


def meeting_times(meeting: Meeting, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """Start and end in English local time, or None when the definition gives the day only."""
    if meeting.start is None:
        return None
    start = dt.datetime.combine(day, meeting.start, tzinfo=LOCAL)
    return start, start + dt.timedelta(minutes=meeting.minutes)


def local_zone(first: dt.date, last: dt.date) -> Timezone:
    """The VTIMEZONE of Europe/London covering the days from `first` to `last`, for TZID times."""
    return Timezone.from_tzid(TZID, first_date=first - dt.timedelta(days=366), last_date=last + dt.timedelta(days=366))


def meeting_event(definition: Definition, cycle_key: str, meeting: Meeting, day: dt.date, now: dt.datetime,
                  *, sequence: int = 0, cancelled: bool = False, only: str | None = None,
                  guest: tuple[str, str] | None = None) -> Event:
    """The VEVENT of one meeting: its time in Europe/London (or the whole day), venue, remote link and members.

    `only` (a person id) lists that person alone as attendee: a feed is one subscriber's, and the
    other members' addresses are no business of whoever holds its address.
    """
    event = Event()
    event.add("uid", f"{cycle_key}.{meeting.id}@strategy-cycle")
    event.add("sequence", sequence)
    event.add("summary", meeting.title)
    times = meeting_times(meeting, day)
    if times is None:
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
    else:
        event.add("dtstart", times[0])
        event.add("dtend", times[1])
    event.add("dtstamp", now.astimezone(dt.UTC))
    if meeting.venue:
        event.add("location", meeting.venue)
    if meeting.remote_link:
        event.add("url", meeting.remote_link)
    board = definition.boards[meeting.board]
    description = f"{board.name}: {definition.title} ({cycle_key})"
    if meeting.remote_link:
        description += f"\nJoin remotely: {meeting.remote_link}"
    event.add("description", description)
    event.add("transp", "OPAQUE")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    chair = organiser(definition, meeting)
    if chair is not None:
        event.add("organizer", _address(chair))
    if guest is not None:  # someone outside the directory (name, email): listed alone, as no member is theirs to see
        attendee = vCalAddress(f"mailto:{guest[1]}")
        attendee.params.update({"CN": vText(guest[0]), "ROLE": vText("OPT-PARTICIPANT"),
                                "PARTSTAT": vText("NEEDS-ACTION"), "RSVP": vText("TRUE"), "CUTYPE": vText("INDIVIDUAL")})
        event.add("attendee", attendee, encode=False)
        only = ""
    for person_id, kind in board.members:
        if only is not None and person_id != only:
            continue
        attendee = _address(definition.people[person_id])
        voting = kind in (Membership.VOTING, Membership.VOTING_CHAIR)
        # Voting members make the quorum: required; chairs without a vote, advisors, observers, officers: optional.
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT" if voting else "OPT-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
        attendee.params["RSVP"] = vText("TRUE")
        attendee.params["CUTYPE"] = vText("INDIVIDUAL")
        event.add("attendee", attendee, encode=False)
    return event


def meeting_invite(definition: Definition, cycle_key: str, meeting: Meeting, day: dt.date, now: dt.datetime,
                   *, sequence: int = 0, cancelled: bool = False, guest: tuple[str, str] | None = None) -> str:
    """The iTIP request (or cancellation) of one meeting; `guest` (name, email): for someone outside the directory,
    who is its only attendee."""
    calendar = Calendar()
    calendar.add("prodid", "-//strategy-cycle//board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    if meeting.start is not None:
        calendar.add_component(local_zone(day, day))
    calendar.add_component(meeting_event(definition, cycle_key, meeting, day, now, sequence=sequence,
                                         cancelled=cancelled, guest=guest))
    return str(calendar.to_ical().decode("utf-8"))
