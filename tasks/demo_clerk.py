"""The committee manager's part in `cycle demo`: each board meeting's agenda issued once its papers are in (by the
notice deadline), and after each meeting the previous minutes recorded as approved at it and this meeting's
minutes drafted from the decisions recorded.

The same commands as `cycle agenda issue`, `cycle minutes approve` and `cycle minutes draft`, as the board's
committee manager (a person holding a role that keeps the board's calendar). The workers render and send the
packs (AgendaIssued), as they would for a real meeting.
"""

from __future__ import annotations

import datetime as dt

from workflow.commands import agenda
from workflow.commands.meetings import COMMAND
from workflow.commands.minutes import approve_minutes, draft_minutes
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.errors import InvalidInput
from workflow.reads.minutes import previous_meeting, public_minutes_of


class Clerk:
    def __init__(self, engine: Engine, definition: Definition) -> None:
        self.engine = engine
        self.definition = definition
        self.issued: list[tuple[str, dt.date]] = []
        self.drafted: list[tuple[str, dt.date]] = []
        self.approved: list[tuple[str, dt.date]] = []

    def manager(self, board: str) -> str:
        """The board's committee manager: a member of the board who keeps its calendar, else anyone who does."""
        allowed = set(self.definition.permissions.get(COMMAND, ()))
        keepers = [p.id for p in self.definition.people.values() if allowed & set(p.roles)]
        members = {person for person, _ in self.definition.boards[board].members}
        return next((p for p in keepers if p in members), keepers[0])

    def before_meeting(self, board: str, day: dt.date) -> None:
        """Issue the agenda (its papers are attached by now); an agenda issued and unchanged stays as it is."""
        try:
            agenda.issue(self.engine, board, day, self.manager(board))
        except InvalidInput:
            return
        self.issued.append((board, day))

    def after_meeting(self, board: str, day: dt.date) -> None:
        """The previous meeting's minutes approved at this one, then this meeting's minutes drafted."""
        manager = self.manager(board)
        before = previous_meeting(self.engine, board, day)
        if before is not None and public_minutes_of(self.engine, board, before).status == "draft":
            approve_minutes(self.engine, board, before, manager, at=day)
            self.approved.append((board, before))
        if draft_minutes(self.engine, board, day, manager).created:
            self.drafted.append((board, day))
