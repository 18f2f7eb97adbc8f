"""The public site under /public: each board's meetings, public documents and decisions, with no sign-in.

An adapter over `workflow.reads.public` alone, which answers for nobody in particular: nothing here reads a
session, a person or a row of its own. Pages and feeds may be kept by a shared cache for five minutes
(`PUBLIC_CACHE`); a document that is exempt or unknown is the same 404, so an address says nothing of it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from notifications.minutes_document import render_minutes
from workflow.errors import NotFound
from workflow.reads import public
from workflow.reads.minutes import public_minutes_of
from workflow.reads.public_issued import MINUTES
from workflow.store.unit import Store
from workflow.time.clock import local_date

from ..config import site_url
from ..downloads import INLINE, download_headers
from ..public_feeds import documents_atom, meetings_calendar
from ..records import paper_type
from .render import render

router = APIRouter(include_in_schema=False)
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}
NO_DOCUMENT = "there is no public document at this address"
BoardId = Annotated[str, Path(max_length=100)]


def _engine(request: Request) -> Store:
    found: Store = request.app.state.cycle.engine
    return found


def _board(request: Request, board_id: str) -> public.PublicBoard:
    found = public.board(_engine(request), board_id)
    if found is None:
        raise NotFound(f"there is no board '{board_id}' on the public site")
    return found


def _cached(response: Response) -> Response:
    response.headers.update(PUBLIC_CACHE)
    return response


def index(request: Request) -> Response:
    return _cached(render(request, "public_index.html", title="Boards and meetings",
                          boards=public.boards(_engine(request))))


def board_page(request: Request, board_id: str) -> Response:
    found = _board(request, board_id)
    today = local_date(_engine(request).clock.now())
    return _cached(render(request, "public_board.html", title=found.name, board=found,
                          coming=found.coming(today), past=found.past(today)))


def meeting_page(request: Request, board_id: str, key: str) -> Response:
    found = public.meeting(_engine(request), board_id, key)
    if found is None:
        raise NotFound(f"the {board_id.replace('_', ' ')} has no meeting '{key}' on the public site")
    return _cached(render(request, "public_meeting.html", title=found.meeting.title, meeting=found))


def document(request: Request, ref: str) -> Response:
    found = public.public_file(_engine(request), ref)
    if found is None:
        raise NotFound(NO_DOCUMENT)
    if found.kind == MINUTES and found.day is not None:
        content: bytes | None = render_minutes(public_minutes_of(_engine(request), found.board, found.day)).pdf
    else:
        store = _engine(request).papers if found.kind == public.PAPER else request.app.state.cycle.documents()
        content = store.get(found.sha256)
    return _cached(Response(content, media_type=paper_type(found.media_type),
                            headers=download_headers(found.filename)))


def calendar(request: Request, board_id: str) -> Response:
    body = meetings_calendar(_board(request, board_id), _engine(request).clock.now())
    return _cached(Response(body, media_type="text/calendar; charset=utf-8",
                            headers=download_headers(f"{board_id}-meetings.ics", INLINE)))


def atom(request: Request, board_id: str) -> Response:
    site = site_url(request.app.state.web, str(request.base_url))
    body = documents_atom(_board(request, board_id), site, _engine(request).clock.now())
    return _cached(Response(body, media_type="application/atom+xml; charset=utf-8"))


@router.get("/public")
async def public_index(request: Request) -> Response:
    return await run_in_threadpool(index, request)


@router.get("/public/boards/{board_id}")
async def public_board(request: Request, board_id: BoardId) -> Response:
    return await run_in_threadpool(board_page, request, board_id)


@router.get("/public/boards/{board_id}/meetings.ics")
async def public_calendar(request: Request, board_id: BoardId) -> Response:
    return await run_in_threadpool(calendar, request, board_id)


@router.get("/public/boards/{board_id}/documents.atom")
async def public_atom(request: Request, board_id: BoardId) -> Response:
    return await run_in_threadpool(atom, request, board_id)


@router.get("/public/boards/{board_id}/meetings/{key}")
async def public_meeting(request: Request, board_id: BoardId,
                         key: Annotated[str, Path(max_length=240)]) -> Response:
    return await run_in_threadpool(meeting_page, request, board_id, key)


@router.get("/public/documents/{ref}")
async def public_document(request: Request, ref: Annotated[str, Path(max_length=40)]) -> Response:
    return await run_in_threadpool(document, request, ref)
