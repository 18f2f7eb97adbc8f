"""The agenda a pack is made from, for the committee manager who issues it (`cycle agenda pack`).

The same rule as the agenda's changes and issue (`workflow.commands.agenda`): the board's committee manager
(`meetings.board_manager`) on the meeting's home definition. The public pack is made from the public's
view of the agenda (no private item); the private pack from the private items the committee manager may see.
"""

from __future__ import annotations

import datetime as dt

from workflow.commands.agenda_build import build, present
from workflow.commands.meetings import board_manager
from workflow.reads.agenda import Agenda
from workflow.store.unit import Store


def pack_agenda(store: Store, board: str, day: dt.date, actor: str, *, private: bool) -> Agenda:
    """The agenda of `board`'s meeting on `day` as its public (or, `private`, its private) pack shows it.

    UnknownActor or RoleMissing (one sentence each) unless `actor` is the board's committee manager;
    NotFound if the board has no meeting that day."""
    with store.sessions() as session:
        built = build(session, store, board, day)
    home = built.meeting.home
    person = board_manager(home, board, actor, "make the agenda packs")
    return present(built, person.email if private else None)
