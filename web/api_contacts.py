"""/api/v1 contacts and letters: a case's outside parties, and the letters for post to them, as the CLI has them.

`/cycles/{cycle}/contacts` lists, adds, changes and removes a case's contacts (`cycle contacts`); `/letters`
lists the letters for post of every case whose contacts you manage, each PDF to download and mark posted
(`cycle letters`). The engine's commands check `permissions.contacts`; a refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from workflow.commands import contacts as commands

from . import outside_parties as outside
from .access import engine_of, known_of, seat
from .api_cycles import CycleRef, StrictBody
from .auth import Me
from .downloads import download_headers
from .problems import PROBLEM_RESPONSES
from .records import RowId

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
ContactId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The contact's number in the cycle")]


class NewContact(StrictBody):
    role: str = Field(max_length=100, description="The case role, from the definition's case_roles")
    name: str = Field(max_length=400)
    email: str | None = Field(default=None, max_length=400)
    address: str | None = Field(default=None, max_length=2000, description="Lines separated by newlines or commas")


class ContactChange(StrictBody):
    role: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=400)
    email: str | None = Field(default=None, max_length=400, description="null or '' removes it; left out, kept")
    address: str | None = Field(default=None, max_length=2000, description="null or '' removes it; left out, kept")


class ContactOut(BaseModel):
    id: int
    cycle: str
    role: str
    role_title: str
    name: str
    email: str | None
    address: str | None


class ContactChanged(ContactOut):
    changed: list[str] = Field(description="What changed: role, name, email, address")


class LetterOut(BaseModel):
    id: int
    cycle: str
    subject: str
    created_at: dt.datetime
    to: str
    role: str
    role_title: str
    address: str | None
    posted_on: dt.date | None = Field(description="The day it was marked posted; null while it is to post")
    posted_by: str | None
    pdf: str = Field(description="Where to download the letter as a PDF")


class MarkPosted(StrictBody):
    on: dt.date | None = Field(default=None, description="The day it was posted; today when left out")


class LetterPostedOut(BaseModel):
    letter: int
    cycle: str
    posted_on: dt.date
    posted_by: str


@router.get("/cycles/{cycle}/contacts", response_model=list[ContactOut], summary="The case's contacts")
def list_contacts(request: Request, me: Me, cycle: CycleRef) -> list[dict[str, Any]]:
    return [outside.contact_out(c) for c in outside.contacts_of(request, me, cycle)[1]]


@router.post("/cycles/{cycle}/contacts", response_model=ContactOut, status_code=201,
             summary="Give the case a contact in a case role, with an email, a postal address or both")
def add_contact(request: Request, me: Me, cycle: CycleRef, body: NewContact) -> dict[str, Any]:
    at = seat(known_of(request), me, cycle)
    return outside.contact_out(commands.add(engine_of(request), at.cycle.id, at.person, role=body.role,
                                            name=body.name, email=body.email, address=body.address))


@router.patch("/cycles/{cycle}/contacts/{contact}", response_model=ContactChanged,
              summary="Change a contact: only the values given; every value checked before any is written")
def change_contact(request: Request, me: Me, cycle: CycleRef, contact: ContactId,
                   body: ContactChange) -> dict[str, Any]:
    at = seat(known_of(request), me, cycle)
    given = body.model_fields_set
    found, changed = commands.change(
        engine_of(request), at.cycle.id, at.person, contact, role=body.role, name=body.name,
        email=(body.email or None) if "email" in given else commands.KEEP,
        address=(body.address or None) if "address" in given else commands.KEEP)
    return {**outside.contact_out(found), "changed": changed}


@router.delete("/cycles/{cycle}/contacts/{contact}", response_model=ContactOut,
               summary="Remove a contact: nothing more is sent to them; the record of who it was stays")
def remove_contact(request: Request, me: Me, cycle: CycleRef, contact: ContactId) -> dict[str, Any]:
    at = seat(known_of(request), me, cycle)
    return outside.contact_out(commands.remove(engine_of(request), at.cycle.id, at.person, contact))


@router.get("/letters", response_model=list[LetterOut],
            summary="The letters for post of every case whose contacts you manage")
def list_letters(request: Request, me: Me,
                 to_post: Annotated[bool, Query(description="Only those not yet marked posted")] = False) -> Any:
    return [outside.letter_out(x) for x in outside.all_letters(request, me, to_post=to_post)]


@router.get("/letters/{letter_id}/pdf", summary="Download a letter for post, to print",
            responses={200: {"content": {"application/pdf": {}}}})
def letter_pdf(request: Request, me: Me, letter_id: RowId) -> Response:
    _, content = outside.letter_pdf(request, me, letter_id)
    return Response(content, media_type="application/pdf",
                    headers={**download_headers(f"letter-{letter_id}.pdf"),
                             "Cache-Control": "no-store"})


@router.post("/letters/{letter_id}/posted", response_model=LetterPostedOut, status_code=201,
             summary="Mark a letter posted, once: it leaves the letters to post")
def letter_posted(request: Request, me: Me, letter_id: RowId, body: MarkPosted) -> Any:
    marked = outside.posted(request, me, letter_id, body.on)
    return {"letter": marked.letter, "cycle": marked.cycle, "posted_on": marked.posted_on,
            "posted_by": marked.posted_by}
