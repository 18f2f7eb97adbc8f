"""/api/v1/boards/{board}/meetings/{day}/agenda: a board meeting's agenda, and the committee manager's changes and
issue, as `cycle agenda` does.

The read and the commands are the core's own (`workflow.reads.agenda`, `workflow.commands.agenda`), called with the
signed-in person's email: they check membership, entitlement to private items and the committee manager's role,
and write nothing when they refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from workflow.commands import agenda as commands
from workflow.reads.agenda import Agenda, agenda

from .access import engine_of
from .api_cycles import StrictBody
from .auth import Me
from .problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES, tags=["agendas"])
BoardRef = Annotated[str, Path(description="The board's id in the definition", max_length=100)]
DayRef = Annotated[dt.date, Path(description="The meeting's date, YYYY-MM-DD")]
ItemRef = Annotated[str, Path(description="The item's number or key", max_length=120)]
BASE = "/boards/{board}/meetings/{day}/agenda"


class AddItem(StrictBody):
    title: str = Field(min_length=1, max_length=300)
    purpose: Literal["For decision", "For information", ""] = ""
    author: str | None = Field(default=None, max_length=100, description="Whose report: a person id or email")
    exempt: int | None = Field(default=None, ge=1, le=7, description="Schedule 12A paragraph: a private item")
    description: str = Field(default="", max_length=2000)
    reissue: bool = Field(default=False, description="Change an issued agenda; it must then be issued again")


class MoveItem(StrictBody):
    to: int | None = Field(default=None, ge=1, le=500, description="The place among the items of its part")
    up: bool = False
    down: bool = False
    reissue: bool = False


class WithdrawItem(StrictBody):
    reason: str = Field(min_length=1, max_length=2000)
    reissue: bool = False


class IssuedOut(BaseModel):
    version: int
    late: bool = Field(description="Issued after the notice deadline (`agenda.issue_by`)")
    agenda: Agenda


@router.get(BASE, response_model=Agenda, summary="A board meeting's agenda, as the signed-in member may see it")
def show(request: Request, me: Me, board: BoardRef, day: DayRef) -> Any:
    return agenda(engine_of(request), board, day, me.email)


@router.post(f"{BASE}/items", response_model=Agenda, status_code=201, summary="Add an item (committee manager)")
def add(request: Request, me: Me, board: BoardRef, day: DayRef, body: AddItem) -> Any:
    return commands.add_item(engine_of(request), board, day, me.email, title=body.title, purpose=body.purpose,
                             author=body.author, exempt=body.exempt, description=body.description,
                             reissue=body.reissue)


@router.post(f"{BASE}/items/{{item}}/move", response_model=Agenda, summary="Move an item (committee manager)")
def move(request: Request, me: Me, board: BoardRef, day: DayRef, item: ItemRef, body: MoveItem) -> Any:
    return commands.move_item(engine_of(request), board, day, me.email, item, to=body.to, up=body.up,
                              down=body.down, reissue=body.reissue)


@router.post(f"{BASE}/items/{{item}}/withdraw", response_model=Agenda,
             summary="Withdraw an item, with the reason (committee manager)")
def withdraw(request: Request, me: Me, board: BoardRef, day: DayRef, item: ItemRef, body: WithdrawItem) -> Any:
    return commands.withdraw_item(engine_of(request), board, day, me.email, item, reason=body.reason,
                                  reissue=body.reissue)


@router.post(f"{BASE}/issue", response_model=IssuedOut, status_code=201,
             summary="Issue the agenda: its next version; the pack is then sent to the members")
def issue(request: Request, me: Me, board: BoardRef, day: DayRef) -> Any:
    done = commands.issue(engine_of(request), board, day, me.email)
    return IssuedOut(version=done.version, late=done.late, agenda=done.agenda)
