"""Board meetings that move or are cancelled after a cycle started.

The definition gives each meeting's day and hours. When a committee manager moves
or cancels one, the change is a history row (append-only, like every other act)
and a MeetingChanged event; the latest change of a meeting is what invitations
and reminders use from then on, and the stage signed off at the meeting follows
it (`workflow.time.moved_dates`). Each change raises the meeting's iCalendar SEQUENCE,
so a calendar updates the entry it already holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from workflow.commands.cycles import (
    SYSTEM_ACTOR,
    definition_of,
    ensure_active,
    find_cycle,
    roles_of,
)
from workflow.commands.rows import add_event, add_history
from workflow.definition.calendar import Timeline
from workflow.definition.directory import find_person
from workflow.definition.formatting import written_date
from workflow.definition.loader import suggest
from workflow.definition.model import Definition, Meeting, Person
from workflow.definition.who_acts import keeps_board
from workflow.errors import InvalidInput, RoleMissing, UnknownActor
from workflow.store.unit import Store, cycle_for_writing
from workflow.time.actuals import CHANGE, MeetingChange, changes
from workflow.time.clock import local_date
from workflow.time.moved_dates import RESCHEDULED, follow_meeting

COMMAND = "decide"
"""Who keeps a board's calendar: those who may record its decisions (the committee manager)."""


def require_manager(definition: Definition, actor: str) -> None:
    """Refuse (RoleMissing) unless `actor` is the committee manager of a board of `definition` (`manages_board`):
    someone who may move or cancel some of its meetings. Which ones is the meeting's board's (`change_meeting`)."""
    if actor == SYSTEM_ACTOR:
        raise RoleMissing("'system' is the scheduler's own identity; act as yourself with --as")
    roles_of(definition, actor)  # UnknownActor for someone not in the directory
    if any(manages_board(definition, board, actor) for board in definition.boards):
        return
    person = definition.people[actor]
    who = person.name or person.title
    allowed = definition.permissions.get(COMMAND, ())
    needed = " or ".join(role.replace("_", " ") for role in allowed) or "nobody: the definition names no role"
    raise RoleMissing(f"{who} cannot move or cancel meetings of the {definition.title}: that is for the "
                      f"{needed} of the board that meets")


def manages_board(definition: Definition, board: str, person: str) -> bool:
    """Is `person` the committee manager of `board` (`who_acts.keeps_board`)? They keep its calendar, agendas
    and minutes."""
    found = definition.boards.get(board)
    return found is not None and keeps_board(found, person, definition.people, definition.permissions)


def board_manager(definition: Definition, board: str, actor: str, doing: str) -> Person:
    """`actor` (an id or email of the directory) as `board`'s committee manager (`manages_board`); refused with
    one sentence otherwise: UnknownActor if not in the directory, RoleMissing if not its committee manager.
    `doing` says what they may not do ("change or issue the agendas")."""
    person = find_person(definition, actor)
    if person is None:
        raise UnknownActor(f"'{actor}' is not in the directory of '{definition.id}'"
                           f"{suggest(actor, definition.people)}; give --as one of the people the definition lists")
    if manages_board(definition, board, person.id):
        return person
    name = definition.boards[board].name if board in definition.boards else board
    raise RoleMissing(f"{person.name or person.title} cannot {doing} of the {name}: that is for its committee "
                      "manager (the board's organiser, or an officer of the board who may record its decisions)")


@dataclass(frozen=True)
class Scheduled:
    """A meeting of a cycle as it now stands: the definition's day and hours, or the latest change to them."""

    meeting: Meeting
    day: dt.date
    cancelled: bool
    sequence: int


def scheduled(session: Session, definition: Definition, cycle_id: int, year: int) -> list[Scheduled]:
    """Every meeting of the cycle, by date, with moves and cancellations applied."""
    return schedule(definition, year, changes(session, cycle_id))


def schedule(definition: Definition, year: int, moved: dict[str, MeetingChange]) -> list[Scheduled]:
    """Every meeting of a cycle of `year`, by date, with the latest change of each (`actuals.changes`) applied."""
    timeline = Timeline(definition, year)
    found = []
    for meeting in definition.meetings.values():
        change = moved.get(meeting.id)
        if change is None:
            found.append(Scheduled(meeting, timeline.milestone(meeting.id), False, 0))
        else:
            found.append(Scheduled(replace(meeting, start=change.start or meeting.start), change.day,
                                   change.cancelled, change.sequence))
    return sorted(found, key=lambda s: (s.day, s.meeting.start or dt.time.min))


def change_meeting(engine: Store, cycle_ref: str | int, meeting_id: str, actor: str, *, reason: str,
                   day: dt.date | None = None, start: dt.time | None = None, cancel: bool = False,
                   dry_run: bool = False) -> MeetingChange:
    """Move (a new day and/or start) or cancel a meeting: its board's committee manager may do this.

    With `dry_run`, every check is made and the change returned, and nothing is written (the check page)."""
    if not reason.strip():
        raise InvalidInput("say why the meeting changes, with --reason")
    if not cancel and day is None and start is None:
        raise InvalidInput("say where the meeting moves to: --date, --start or both")
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        # The cycle's row before its deadlines, as the StageEntered planners lock them: planning the same entry's
        # deadlines the other way round, each waited for the other. Locked before it is read, so what the
        # checks below see is what this command changes.
        cycle = find_cycle(session, cycle_ref)
        cycle_for_writing(session, cycle.id)  # read again, locked, into the same object
        definition = definition_of(engine, session, cycle)
        require_manager(definition, actor)
        ensure_active(cycle)
        if meeting_id not in definition.meetings:
            raise InvalidInput(f"'{definition.id}' has no meeting '{meeting_id}'"
                               f"{suggest(meeting_id, definition.meetings)}")
        meeting = definition.meetings[meeting_id]
        # The board's own committee manager, as for its agendas and minutes: its invitations go out in their name.
        board_manager(definition, meeting.board, actor, "move or cancel the meetings")
        earlier = changes(session, cycle.id).get(meeting_id)
        if earlier is not None and earlier.cancelled:
            raise InvalidInput(f"the {meeting.title} was cancelled already")
        current_day = earlier.day if earlier else Timeline(definition, cycle.year).milestone(meeting_id)
        current_start = earlier.start if earlier else meeting.start
        new_day, new_start = day or current_day, start or current_start
        if new_day < local_date(now):
            raise InvalidInput(f"{written_date(new_day)} has passed; a meeting moves to today or later")
        change = MeetingChange(meeting_id, new_day, new_start, cancel, (earlier.sequence if earlier else 0) + 1)
        if dry_run:
            return change  # nothing was added to the session: the transaction ends with nothing written
        data = {"meeting": meeting_id, "date": new_day.isoformat(),
                "start": new_start.strftime("%H:%M") if new_start else None, "cancelled": cancel,
                "sequence": change.sequence, "reason": reason.strip(), "board": meeting.board}
        followed = follow_meeting(engine, session, cycle, definition, meeting_id, new_day, now)
        add_history(engine, session, cycle, now, actor, CHANGE, trigger=None, from_state=cycle.state,
                    to_state=cycle.state, comment=reason.strip(), data=data)
        if followed is not None:
            add_history(engine, session, cycle, now, actor, RESCHEDULED, trigger=None, from_state=cycle.state,
                        to_state=cycle.state, comment=reason.strip(), data=followed)
        add_event(session, cycle, now, "MeetingChanged", **data)
        cycle.updated_at = now
        flag_modified(cycle, "updated_at")
        return change
