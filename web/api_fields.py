"""/api/v1/cycles/{cycle}/fields: a case's fields as the signed-in person may see them, and setting them."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from .access import engine_of, known_of, seat
from .api_cycles import CycleRef, StrictBody
from .auth import Me
from .problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


class SetFields(StrictBody):
    fields: dict[str, str] = Field(max_length=100, description="Field id -> value, as `cycle fields set`")
    comment: str | None = Field(default=None, max_length=2000)


class FieldOut(BaseModel):
    id: str
    title: str
    type: str
    value: str = Field(description="As you may see it: '' unset, '(withheld)' for personal data you are not "
                                   "entitled to, '(erased after the retention period)', a date written out")
    raw: str = Field(description="The stored value ('' when withheld, erased or unset): dates as year-month-day")
    personal: bool
    required_at: str | None
    choices: list[str]


class FieldsSet(BaseModel):
    cycle: str
    changed: list[str]


@router.get("/cycles/{cycle}/fields", response_model=list[FieldOut], summary="The case's fields")
def case_fields(request: Request, me: Me, cycle: CycleRef) -> list[dict[str, Any]]:
    at = seat(known_of(request), me, cycle)
    return [dataclasses.asdict(f) for f in engine_of(request).case_fields(at.cycle.id, at.person)]


@router.patch("/cycles/{cycle}/fields", response_model=FieldsSet,
              summary="Set some of the case's fields; every value is checked before any is written")
def set_fields(request: Request, me: Me, cycle: CycleRef, body: SetFields) -> dict[str, Any]:
    at = seat(known_of(request), me, cycle)
    changed = engine_of(request).set_fields(at.cycle.id, body.fields, at.person, comment=body.comment)
    return {"cycle": at.cycle.key, "changed": changed}
