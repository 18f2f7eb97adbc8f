"""A board's public feeds: its meetings as iCalendar, its public documents as Atom (RFC 4287).

Both are built from `workflow.reads.public` alone, so they carry only what the public pages show. The
calendar's events are the invitations' own (`meeting_event`: same UID and SEQUENCE, so a subscriber's entry
updates when a meeting moves) without any person: no attendee, no organiser, no remote-joining link.
The Atom feed is written with the standard library's ElementTree (it escapes every text and attribute);
it needs a handful of elements, not a dependency.
"""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from icalendar import Calendar, Event

from notifications.calendar_invite import local_zone, meeting_times
from workflow.reads.public import PublicBoard, PublicDocument, PublicMeeting

ATOM = "http://www.w3.org/2005/Atom"


def meetings_calendar(board: PublicBoard, now: dt.datetime) -> str:
    """The board's meetings, moves and cancellations applied, as one iCalendar feed."""
    calendar = Calendar()
    calendar.add("prodid", "-//strategy-cycle//public board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{board.name}: meetings")
    calendar.add("x-wr-timezone", "Europe/London")
    timed = [m.day for m in board.meetings if m.meeting.start is not None]
    if timed:
        calendar.add_component(local_zone(min(timed), max(timed)))
    for found in board.meetings:
        calendar.add_component(_event(found, now))
    return str(calendar.to_ical().decode("utf-8"))


def _event(found: PublicMeeting, now: dt.datetime) -> Event:
    """A meeting's VEVENT with the invitations' UID and SEQUENCE (`meeting_event`), and no person in it."""
    event = Event()
    event.add("uid", found.uid)
    event.add("sequence", found.sequence)
    event.add("summary", found.meeting.title)
    times = meeting_times(found.meeting, found.day)
    if times is None:
        event.add("dtstart", found.day)
        event.add("dtend", found.day + dt.timedelta(days=1))
    else:
        event.add("dtstart", times[0])
        event.add("dtend", times[1])
    event.add("dtstamp", now.astimezone(dt.UTC))
    if found.meeting.venue:
        event.add("location", found.meeting.venue)
    event.add("description", f"{found.board_name}: {found.cycle_title}")
    event.add("transp", "OPAQUE")
    event.add("status", "CANCELLED" if found.cancelled else "CONFIRMED")
    return event


def documents_atom(board: PublicBoard, site: str, now: dt.datetime) -> str:
    """The board's public documents, newest first, as an Atom feed; `site` is the service's address."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    documents = board.documents
    _text(feed, "id", f"{site}/public/boards/{board.id}/documents.atom")
    _text(feed, "title", f"{board.name}: public documents")
    _text(feed, "updated", _stamp(documents[0].published if documents else now))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"{site}/public/boards/{board.id}/documents.atom",
                  type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{site}/public/boards/{board.id}",
                  type="text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", board.name)
    for document in documents:
        feed.append(_entry(board, document, site))
    return ET.tostring(feed, encoding="unicode", xml_declaration=True)


def _entry(board: PublicBoard, document: PublicDocument, site: str) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    _text(entry, "id", f"{site}/public/documents/{document.ref}")
    _text(entry, "title", f"{document.kind}: {document.title}")
    _text(entry, "updated", _stamp(document.published))
    _text(entry, "published", _stamp(document.published))
    ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=f"{site}/public/documents/{document.ref}")
    if document.meeting:
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="related",
                      href=f"{site}/public/boards/{board.id}/meetings/{document.meeting}")
    _text(entry, "summary", f"{document.kind} of the {board.name}")
    return entry


def _text(parent: ET.Element, name: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = text


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
