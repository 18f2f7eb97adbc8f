"""A board meeting's agenda, as the committee manager issues it and the pack, the page and the public site show it.

The values (`Agenda`, `AgendaItem`, ...) are defined in `workflow.commands.agenda_values` (the committee manager's
commands build them too, and commands sit below reads) and exported from here; import them from here.

A board meeting is (board id, day): every running cycle or case whose definition has a meeting of that board on
that day (moves and cancellations applied) brings its business. The public part lists the board's opening standard
items (apologies, minutes of the last meeting, disclosure of interests), any fixed items of the definition, the
business, the date of the next meeting and, when there is exempt business, the exclusion item naming the Schedule
12A paragraph(s) (it is moved in public, so it is the public part's last item). The private part holds the exempt
items. Items are numbered 1..n over the public part then the private part, as the seed pack numbers them.

Who may read it: the board's members (any membership) and its committee manager
(`meetings.manages_board`); private items only for those entitled to their exempt papers. Someone not entitled
gets `private_items == ()` (the exclusion item and `exempt_paragraphs` stay: they are public); an exempt item's
title is the definition's words, never a paper's. `public_agenda` is the public's view.
"""

from __future__ import annotations

import datetime as dt

from workflow.commands.agenda_build import build, present
from workflow.commands.agenda_items import entitlement_person
from workflow.commands.agenda_values import (
    FOR_DECISION,
    FOR_INFORMATION,
    Agenda,
    AgendaIssue,
    AgendaItem,
    AgendaMember,
    AgendaMembership,
    AgendaPaper,
    Purpose,
    StandardKind,
)
from workflow.commands.board_meeting import BoardMeeting, meeting_days
from workflow.commands.meetings import manages_board
from workflow.definition.formatting import written_date
from workflow.definition.model import Definition
from workflow.errors import NotFound, RoleMissing
from workflow.store.unit import Store

__all__ = ["FOR_DECISION", "FOR_INFORMATION", "Agenda", "AgendaIssue", "AgendaItem", "AgendaMember",
           "AgendaMembership", "AgendaPaper", "Purpose", "StandardKind", "agenda", "agenda_and_role", "may_read",
           "meetings", "public_agenda"]


def may_read(meeting: BoardMeeting, who: str) -> bool:
    """Is `who` (a person id or email of the home definition) a member of the board or its committee manager?"""
    definition = meeting.home
    person = _person(definition, who)
    if person is None:
        return False
    return person in dict(definition.boards[meeting.board].members) or manages_board(definition, meeting.board, person)


def _person(definition: Definition, who: str) -> str | None:
    return who if who in definition.people else entitlement_person(definition, who)


def agenda(store: Store, board: str, day: dt.date, reader: str) -> Agenda:
    """The agenda of `board`'s meeting on `day` for a member or the committee manager (`reader`: person id or email).

    NotFound if there is no such meeting, or if the reader is not in its directory (the same sentence: to them
    it does not exist); RoleMissing for someone in the directory who is neither a member nor the manager."""
    return agenda_and_role(store, board, day, reader)[0]


def agenda_and_role(store: Store, board: str, day: dt.date, reader: str) -> tuple[Agenda, bool]:
    """`agenda`, and whether the reader may change and issue it (the page shows its controls to them only)."""
    with store.sessions() as session:
        built = build(session, store, board, day)
    person = _person(built.meeting.home, reader)
    if person is None:
        raise NotFound(f"the {board.replace('_', ' ')} board has no meeting on {written_date(day)}")
    if not may_read(built.meeting, person):
        raise RoleMissing(f"the agenda of the {built.meeting.meeting.title} is for the members of the "
                          f"{built.meeting.home.boards[board].name}")
    return present(built, built.meeting.home.people[person].email), manages_board(built.meeting.home, board, person)


def public_agenda(store: Store, board: str, day: dt.date) -> Agenda:
    """The agenda as the public may see it: no private items (the exclusion item and its paragraphs stay)."""
    with store.sessions() as session:
        return present(build(session, store, board, day), None)


def meetings(store: Store, board: str) -> list[tuple[dt.date, str]]:
    """The days (and titles) `board` meets on, in any cycle, for a list of its meetings and their agendas."""
    with store.sessions() as session:
        return meeting_days(session, store, board)
