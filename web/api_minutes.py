"""/api/v1/boards/{board}/meetings/{day}/minutes: read, draft, edit and approve a board meeting's minutes.

The same read and commands as `cycle minutes`, called with the signed-in person's email: members of the
board read the minutes (a private minute only if entitled to it), the committee manager drafts, edits and
approves them, and everyone else is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from notifications.minutes_document import render_minutes
from workflow.commands.minutes import approve_minutes, draft_minutes, edit_minutes
from workflow.reads.minutes import minutes_of

from .access import engine_of
from .api_cycles import StrictBody
from .auth import Me
from .downloads import INLINE, download_headers
from .problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
BoardRef = Annotated[str, Path(description="The board's id in the definitions (safer_mk)", max_length=100)]
Day = Annotated[dt.date, Path(description="The day the board met, YYYY-MM-DD")]
MINUTES = "/boards/{board}/meetings/{day}/minutes"


class EditMinutes(StrictBody):
    narratives: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=20000)]] = Field(
        max_length=500, description="Each minute's narrative, by its number (SMK12) or key")


class ApproveMinutes(StrictBody):
    at: dt.date = Field(description="The day of the meeting that approved them")


class SavedOut(BaseModel):
    board: str
    day: dt.date
    version: int
    sha256: str
    created: bool


class ApprovedOut(BaseModel):
    board: str
    day: dt.date
    approved_on: dt.date
    version: int
    sha256: str
    chair: str


@router.get(MINUTES, summary="A board meeting's minutes as you may read them")
def read_minutes(request: Request, me: Me, board: BoardRef, day: Day) -> dict[str, Any]:
    found = minutes_of(engine_of(request), board, day, me.email)
    return {**dataclasses.asdict(found), "heading": found.heading}


@router.get(MINUTES + ".pdf", summary="A board meeting's minutes as a PDF", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def minutes_pdf(request: Request, me: Me, board: BoardRef, day: Day) -> Response:
    document = render_minutes(minutes_of(engine_of(request), board, day, me.email))
    return Response(document.pdf, media_type="application/pdf",
                    headers=download_headers(f"minutes-{board}-{day.isoformat()}.pdf", INLINE))


@router.post(MINUTES + "/draft", response_model=SavedOut, status_code=201,
             summary="Number the minutes and save the draft from the decisions recorded")
def draft(request: Request, me: Me, board: BoardRef, day: Day) -> Any:
    return dataclasses.asdict(draft_minutes(engine_of(request), board, day, me.email))


@router.post(MINUTES + "/versions", response_model=SavedOut, status_code=201,
             summary="Save a new version of the minutes with these narratives")
def edit(request: Request, me: Me, board: BoardRef, day: Day, body: EditMinutes) -> Any:
    return dataclasses.asdict(edit_minutes(engine_of(request), board, day, me.email, dict(body.narratives)))


@router.post(MINUTES + "/approval", response_model=ApprovedOut, status_code=201,
             summary="Record that a later meeting approved the minutes and the chair signed them")
def approve(request: Request, me: Me, board: BoardRef, day: Day, body: ApproveMinutes) -> Any:
    return dataclasses.asdict(approve_minutes(engine_of(request), board, day, me.email, at=body.at))
