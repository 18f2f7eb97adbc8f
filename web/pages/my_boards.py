"""My boards: for each board the person serves on, its next meetings with the papers they may see, its decisions
and sign-off records; and their calendar feed, an address a calendar app subscribes to without signing in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from notifications.calendar_feed import calendar_feed
from notifications.calendar_invite import meeting_times
from notifications.reminders import stage_meeting
from workflow.commands.meetings import Scheduled, manages_board
from workflow.definition.calendar import Timeline
from workflow.definition.model import Board, Definition
from workflow.errors import NotFound
from workflow.reads.boards import ServedCycle, served_cycles
from workflow.time.clock import local_date

from ..calendar_feeds import CalendarFeeds
from ..config import site_url
from ..downloads import INLINE, download_headers
from ..paging import Paging, page_number
from ..records import document_listed
from .render import done, render
from .viewer import Viewer, viewer
from .words import cycle_title

router = APIRouter(include_in_schema=False)
CYCLES_A_PAGE = 10
"""Cycles whose boards a page of My boards shows (each with up to a section per board the person sits on)."""


@dataclass
class Sitting:
    """One meeting of a board as it now stands, with the papers for it the person may see."""

    meeting: Scheduled
    papers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hours(self) -> str:
        """'14:00 to 16:00' in UK time, or nothing when the definition gives the day only."""
        times = meeting_times(self.meeting.meeting, self.meeting.day)
        return f"{times[0]:%H:%M} to {times[1]:%H:%M}" if times else ""


@dataclass
class BoardView:
    board: Board
    cycle_key: str
    cycle_name: str
    next_meetings: list[Sitting]
    earlier_papers: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    keeps_calendar: bool = False  # may move or cancel its meetings: its committee manager (`manages_board`)


def served(request: Request, email: str, *, records: bool = True) -> list[ServedCycle]:
    return served_cycles(request.app.state.cycle.engine, email, records=records)[0]


def meeting_of(definition: Definition, timeline: Timeline, stage: str) -> str | None:
    """The id of the meeting a stage's papers are for, as the reminders find it."""
    spec = definition.stages.get(stage)
    due = timeline.stage_due(stage) if spec else None
    found = stage_meeting(definition, spec, due, timeline) if spec and due else None
    return found.id if found else None


def board_views(request: Request, email: str, page: int = 1) -> tuple[list[BoardView], Paging]:
    """The boards of page `page` of the person's cycles (`CYCLES_A_PAGE` of them), coming meetings first."""
    engine = request.app.state.cycle.engine
    today = local_date(engine.clock.now())
    views = []
    found, every = served_cycles(engine, email, window=((page - 1) * CYCLES_A_PAGE, CYCLES_A_PAGE))
    paging = Paging.of(page, CYCLES_A_PAGE, every)
    for at in found:
        definition = at.definition
        timeline = Timeline(definition, at.year)
        papers, documents, decisions = at.papers, [document_listed(d) for d in at.documents], at.decisions
        for board in at.boards:
            # A paper is this board's if the board decides at a stage that considers it, the one it was attached
            # for or a later one that names it, and the person may see it as that stage's business (the read's
            # `yours_at`, by the one entitlement rule: an exempt paper only to the board's private session).
            ours = {p["id"]: [s for s in p["yours_at"] if definition.stages[s].board == board.id]
                    for p in papers}
            mine = [p for p in papers if ours[p["id"]]]
            sittings = [Sitting(s) for s in at.meetings if s.meeting.board == board.id and s.day >= today]
            placed: set[int] = set()
            for sitting in sittings:
                meeting = sitting.meeting.meeting.id
                sitting.papers = [p for p in mine
                                  if any(meeting_of(definition, timeline, s) == meeting for s in ours[p["id"]])]
                placed |= {p["id"] for p in sitting.papers}
            views.append(BoardView(
                board, at.key, cycle_title(definition, at.year, at.key), sittings, [p for p in mine if p["id"] not in placed],
                [{**d, "item_title": definition.item_title(d["board"], d["item"])} for d in decisions
                 if d["board"] == board.id],
                [d for d in documents if d["stage"] in definition.stages
                 and definition.stages[d["stage"]].board == board.id], manages_board(definition, board.id, at.person)))
    return views, paging


def show(request: Request, seen: Viewer, *, new_feed: str = "", status: int = 200, page: str = "") -> Response:
    views, paging = board_views(request, seen.email, page_number(page))
    feeds = CalendarFeeds(request.app.state.cycle.engine)
    response = render(request, "my_boards.html", status=status, title="My boards", section="/my-boards",
                      views=views, paging=paging, feed_active=feeds.active(seen.email), new_feed=new_feed)
    if new_feed:
        response.headers["Cache-Control"] = "no-store"  # the address is a secret shown this once
    return response


def new_feed(request: Request, seen: Viewer) -> Response:
    secret = CalendarFeeds(request.app.state.cycle.engine).create(seen.email)
    return show(request, seen, new_feed=f"{site_url(request.app.state.web, str(request.base_url))}/calendar/{secret}.ics")


def stop_feed(request: Request, seen: Viewer) -> Response:
    CalendarFeeds(request.app.state.cycle.engine).stop(seen.email)
    return done("/my-boards", "Your calendar feed is stopped: calendars subscribed to it get nothing more.")


def feed_for(request: Request, token: str) -> Response:
    email = CalendarFeeds(request.app.state.cycle.engine).owner(token)
    if email is None:
        raise NotFound("there is no calendar feed at this address; it may have been replaced or stopped")
    meetings = [(at.definition, at.key, s) for at in served(request, email, records=False)
                for s in at.meetings if s.meeting.board in {b.id for b in at.boards}]
    body = calendar_feed(meetings, request.app.state.cycle.engine.clock.now(), subscriber=email)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300",
                             **download_headers("my-board-meetings.ics", INLINE)})


@router.get("/my-boards")
async def my_boards_page(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                         page: Annotated[str, Query(max_length=20)] = "") -> Response:
    return await run_in_threadpool(lambda: show(request, seen, page=page))


@router.post("/my-boards/calendar")
async def create_feed(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(new_feed, request, seen)


@router.post("/my-boards/calendar/stop")
async def stop(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(stop_feed, request, seen)


@router.get("/calendar/{token}.ics", include_in_schema=False)
async def calendar(request: Request, token: str) -> Response:
    if len(token) > 100:
        raise NotFound("there is no calendar feed at this address")
    return await run_in_threadpool(feed_for, request, token)

