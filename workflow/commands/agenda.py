"""The committee manager's changes to a board meeting's agenda, and its issue; the CLI, the API and the page call these.

A board meeting is (board id, day); its agenda is built by `agenda_build`. Who may change or issue
it: the board's committee manager (`meetings.board_manager`: its organiser, or an officer member of the
board holding the permission to record decisions, on the definition of the meeting's lowest-numbered cycle). Each
command returns the agenda as its actor may see it (`present`), and an item is named only among those items. Every change is an append-only `agenda_changes` row; nothing is updated in place.

- `add_item`: an item of the committee manager's own (title, purpose, author, Schedule 12A paragraph if exempt).
- `move_item`: up, down, or to a position among the items of its part (public or private).
- `withdraw_item`: off the agenda, with the reason.
- `issue`: version 1, then, once the agenda changed since (the committee manager's change after issue, or its
  business: a paper attached, a meeting moved, a cycle started), version 2 and so on; issuing an agenda unchanged
  since its last issue is refused. Issuing after the notice deadline (`issue_by`) is allowed: the result says it
  is late, and the CLI and the page warn.

Changes are refused once the agenda is issued, unless `reissue` is given: the change is then recorded and the
agenda must be issued again (its next version). Changes and issues are refused after the meeting's day.

Event: `issue` writes one outbox event `AgendaIssued`, on the meeting's lowest-numbered cycle, with the payload
    {"cycle_id", "cycle", "definition", "definition_version", "at",   # as every event has (`rows.add_event`)
     "board": "safer_mk", "day": "2021-09-08", "version": 1,
     "issued_by": "committee_manager", "late": false, "issue_by": "2021-08-31",
     "cycle_ids": [1, 4]}                                               # every cycle with business at the meeting
Its handler renders the pack and sends it to the members (each the version they are entitled to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.commands.agenda_build import Built, build, issue_by, present
from workflow.commands.agenda_values import Agenda
from workflow.commands.attach import SCHEDULE_12A
from workflow.commands.meetings import board_manager
from workflow.commands.rows import add_event
from workflow.definition.agenda import PURPOSES
from workflow.definition.directory import find_person
from workflow.definition.formatting import written_date
from workflow.definition.loader import suggest
from workflow.errors import ConcurrentChange, InvalidInput
from workflow.store.models import AgendaChange
from workflow.store.unit import Store
from workflow.time.clock import local_date

TITLE_MAX = 300
ISSUED = "AgendaIssued"


@dataclass(frozen=True)
class Issued:
    """An agenda issued: the version, and whether it was after the notice deadline."""

    agenda: Agenda
    version: int
    late: bool


@contextmanager
def _meeting(store: Store, board: str, day: dt.date, actor: str, *, change: bool,
             reissue: bool = False) -> Iterator[tuple[Session, Built, str]]:
    """The meeting's agenda as built now, once `actor` is shown to keep its board's calendar; (session, built,
    person id). Refuses changes after issue (without `reissue`) and after the meeting's day."""
    try:
        with store.unit_of_work() as session:
            built = build(session, store, board, day)
            home = built.meeting.home
            person = board_manager(home, board, actor, "change or issue the agendas")
            if local_date(store.clock.now()) > day:
                raise InvalidInput(f"the {built.meeting.meeting.title} was held on {written_date(day)}; "
                                   "its agenda can no longer change")
            if change and built.issues and not reissue:
                raise InvalidInput(f"the agenda was issued as version {len(built.issues)}; to change it, say it "
                                   "will be issued again (--reissue)")
            yield session, built, person.id
    except IntegrityError:
        raise ConcurrentChange("someone else changed this agenda at the same moment; nothing was written: "
                               "look at it again and try again") from None


def _write(session: Session, built: Built, kind: str, item: str | None, actor: str, now: dt.datetime,
           **data: Any) -> None:
    session.add(AgendaChange(board=built.meeting.board, day=built.meeting.day, seq=built.seq + 1, kind=kind,
                             item=item, data=data, actor=actor, at=now))
    session.flush()


def _reader(built: Built, person: str) -> str:
    """The email the agenda is cut to for `person` (`present`)."""
    return built.meeting.home.people[person].email


def _after(session: Session, store: Store, built: Built, person: str) -> Agenda:
    """The agenda after the change, as `person` may see it."""
    return present(build(session, store, built.meeting.board, built.meeting.day), _reader(built, person))


def _item_key(built: Built, key: str, person: str) -> str:
    """The key of the item named `key` (its number or key) among the items `person` may see; others are unknown."""
    shown = (*built.public, *built.shown_private(_reader(built, person)))
    keys = [d.item.key for d in shown]
    numbers = {str(d.item.number): d.item.key for d in shown}
    found = numbers.get(key, key)
    if found not in keys:
        raise InvalidInput(f"the agenda has no item '{key}'{suggest(key, keys)}: name an item by its number or key")
    if found == "std:exclusion":
        raise InvalidInput("the exclusion of the public and press comes before the private items: it is not "
                           "moved or withdrawn, and goes when the private items do")
    return found


def add_item(store: Store, board: str, day: dt.date, actor: str, *, title: str, purpose: str = "",
             author: str | None = None, exempt: int | None = None, description: str = "",
             reissue: bool = False) -> Agenda:
    """Add an item of the committee manager's own, before the date of the next meeting (last in private if exempt)."""
    title = " ".join(title.split())
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(f"an item's title is one line of 1 to {TITLE_MAX} characters")
    if purpose not in (*PURPOSES, ""):
        raise InvalidInput(f"an item's purpose is {' or '.join(PURPOSES)} (or none); '{purpose}' is not")
    if exempt is not None and exempt not in SCHEDULE_12A:
        raise InvalidInput(f"Schedule 12A has paragraphs 1 to 7; {exempt} is not one of them")
    now = store.clock.now()
    with _meeting(store, board, day, actor, change=True, reissue=reissue) as (session, built, person):
        writer = None
        if author:
            writer = find_person(built.meeting.home, author)
            if writer is None:
                raise InvalidInput(f"'{author}' is not in the directory of '{built.meeting.home.id}'"
                                   f"{suggest(author, built.meeting.home.people)}")
        _write(session, built, "add", f"added:{built.seq + 1}", person, now, title=title, purpose=purpose,
               description=" ".join(description.split()), exempt_paragraph=exempt,
               author_name=(writer.name or writer.title) if writer else "", author_title=writer.title if writer else "")
        return _after(session, store, built, person)


def move_item(store: Store, board: str, day: dt.date, actor: str, item: str, *, to: int | None = None,
              up: bool = False, down: bool = False, reissue: bool = False) -> Agenda:
    """Move an item (by number or key) up, down, or to position `to` among the items of its part."""
    if sum((to is not None, up, down)) != 1:
        raise InvalidInput("say where the item goes: up, down, or a position (--to)")
    now = store.clock.now()
    with _meeting(store, board, day, actor, change=True, reissue=reissue) as (session, built, person):
        key = _item_key(built, item, person)
        part = [d.item.key for d in (built.public if any(d.item.key == key for d in built.public) else built.private)
                if d.item.key != "std:exclusion"]
        at = part.index(key) + 1
        target = to if to is not None else at - 1 if up else at + 1
        if not 1 <= target <= len(part):
            raise InvalidInput(f"item {item} cannot move to place {target} of its part: it has {len(part)} items")
        if target == at:
            raise InvalidInput(f"item {item} is already in place {at} of its part")
        _write(session, built, "move", key, person, now, to=target)
        return _after(session, store, built, person)


def withdraw_item(store: Store, board: str, day: dt.date, actor: str, item: str, *, reason: str,
                  reissue: bool = False) -> Agenda:
    """Take an item (by number or key) off the agenda, saying why."""
    if not reason.strip():
        raise InvalidInput("say why the item is withdrawn, with --reason")
    now = store.clock.now()
    with _meeting(store, board, day, actor, change=True, reissue=reissue) as (session, built, person):
        key = _item_key(built, item, person)
        _write(session, built, "withdraw", key, person, now, reason=" ".join(reason.split()))
        return _after(session, store, built, person)


def issue(store: Store, board: str, day: dt.date, actor: str) -> Issued:
    """Issue the agenda (the next version) and emit AgendaIssued; refused when unchanged since its last issue."""
    now = store.clock.now()
    with _meeting(store, board, day, actor, change=False) as (session, built, person):
        if built.issues and not built.changed_since_issue:
            last = built.issues[-1]
            raise InvalidInput(f"the agenda was issued as version {len(built.issues)} on "
                               f"{written_date(local_date(last.at))} and has not changed since")
        version = len(built.issues) + 1
        deadline = issue_by(day, built.meeting.home.boards[board].agenda.notice)
        late = local_date(now) > deadline
        _write(session, built, "issue", None, person, now, version=version, digest=built.digest, late=late,
               seen=built.seen())
        first = built.meeting.cycles[0].cycle
        add_event(session, first, now, ISSUED, board=board, day=day.isoformat(), version=version, issued_by=person,
                  late=late, issue_by=deadline.isoformat(), cycle_ids=[at.cycle.id for at in built.meeting.cycles])
        return Issued(_after(session, store, built, person), version, late)
