"""/api/v1/cycles/{cycle}/panels/{panel}: choose a cycle's panel, as `cycle panel choose` does.

The engine's own command, called with the signed-in person's id in the cycle's directory: it checks their role
(`choose_panel`), the members and the panel's independence, and writes nothing when it refuses.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from workflow.commands.panels import choose_panel

from .access import engine_of, known_of, seat
from .api_cycles import CycleRef, StrictBody
from .auth import Me
from .problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
PanelRef = Annotated[str, Path(description="The panel's id in the definition (a stage's `panel:`)", max_length=100)]


class ChoosePanel(StrictBody):
    members: list[Annotated[str, Field(max_length=100)]] = Field(
        min_length=1, max_length=100, description="The members chosen, by their ids in the cycle's directory")
    comment: str | None = Field(default=None, max_length=2000)


class PanelOut(BaseModel):
    cycle: str
    panel: str
    name: str
    choice: int
    members: list[str]


@router.post("/cycles/{cycle}/panels/{panel}", response_model=PanelOut, status_code=201,
             summary="Choose a cycle's panel, independent of the boards and panels its definition names")
def choose(request: Request, me: Me, cycle: CycleRef, panel: PanelRef, body: ChoosePanel) -> Any:
    at = seat(known_of(request), me, cycle)
    return dataclasses.asdict(choose_panel(engine_of(request), at.cycle.id, panel, body.members, at.person,
                                           comment=body.comment))
