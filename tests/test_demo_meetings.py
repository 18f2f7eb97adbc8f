"""The demo's committee manager (`tasks.demo_clerk`) with the demo's player: after a cycle year, every board
meeting had its agenda issued by the notice deadline, and the minutes of every meeting but each board's last
were approved at that board's next meeting (the last are drafted, for approval at the next cycle's)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import pairwise

from sqlalchemy import select

from tasks.demo_clerk import Clerk
from tests.conftest import SHIPPED
from tests.helpers import AUTHOR, CYCLE
from workflow.app import App
from workflow.commands.agenda import ISSUED
from workflow.commands.agenda_build import issue_by
from workflow.player import Player
from workflow.store.models import Decision, MinutesApproval, MinutesVersion, OutboxEvent
from workflow.time.clock import SimulatedClock, local_date


def test_a_demo_year_issues_every_agenda_in_time_and_approves_minutes_at_the_next_meeting(
        app: App, clock: SimulatedClock) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    definition = engine.catalog.load(SHIPPED)
    clerk = Clerk(engine, definition)
    Player(engine, clock, definition, CYCLE, 2021, before_meeting=clerk.before_meeting,
           after_meeting=clerk.after_meeting).play()
    with engine.sessions() as session:
        meetings = {(b, d) for b, d in session.execute(select(Decision.board, Decision.meeting_date))}
        issued = {(e.payload["board"], dt.date.fromisoformat(e.payload["day"])): e.created_at
                  for e in session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == ISSUED))}
        approved = {(a.board, a.meeting_date): a.approved_on for a in session.scalars(select(MinutesApproval))}
        drafted = {(b, d) for b, d in session.execute(select(MinutesVersion.board, MinutesVersion.meeting_date))}
    assert len(meetings) == 7 and set(issued) == meetings, "one issued agenda per board meeting"
    for (board, day), at in issued.items():
        notice = definition.boards[board].agenda.notice
        assert local_date(at) <= issue_by(day, notice), f"{board} {day}: issued by the notice deadline"
    assert drafted == meetings, "minutes drafted after every meeting"
    days: dict[str, list[dt.date]] = defaultdict(list)
    for board, day in sorted(meetings):
        days[board].append(day)
    assert approved == {(board, day): following for board, held in days.items()
                        for day, following in pairwise(held)}, \
        "each meeting's minutes approved at the board's next meeting; the last of each board's still a draft"
