"""A cycle's sign-off records (documents) and the email sent for it, with a retry for mail that failed.

Each list is the API's own (`records.documents_for`, `records.cycle_mail`), so a person sees here exactly what the API
shows them; an email's subject is shown only to those `entitlement.may_see_mail` lets read it, and the
retry is the API's `records.retry_mail`, refused as it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.definition import entitlement
from workflow.errors import CycleError
from workflow.store.models import Mail

from ..access import seat
from ..problems import status_of
from ..records import RowId, cycle_mail, documents_for, mail_withheld
from ..records import document_file as download_document
from ..records import retry_mail as api_retry
from .papers import cycle_words
from .render import done, render
from .viewer import Viewer, viewer
from .words import board_name, person_title, stage_title

router = APIRouter(include_in_schema=False)
FORMATS = (("pdf", "PDF"), ("docx", "Word"), ("html", "HTML"))
RETRIED = ("failed", "uncertain", "retrying")  # what `delivery.retry` puts back in the queue
STATUS_WORDS = {"pending": ("Waiting to be sent", "grey"), "sending": ("Being sent", "blue"),
                "sent": ("Sent", "green"), "retrying": ("Trying again", "yellow"), "failed": ("Failed", "red"),
                "uncertain": ("Uncertain", "orange")}


def show_documents(request: Request, seen: Viewer, cycle: str) -> Response:
    at = seat(request.app.state.cycles, seen.principal, cycle)
    definition = at.definition
    rows = [d | {"stage_title": stage_title(definition, d["stage"]),
                 "board": board_name(definition, definition.stages[d["stage"]].board
                                     if d["stage"] in definition.stages else None)}
            for d in documents_for(request, seen.principal, cycle)]
    words = cycle_words(at)
    return render(request, "documents.html", title=f"Documents – {words['cycle_title']}", section="/cycles",
                  documents=rows, formats=FORMATS, **words)


@dataclass(frozen=True)
class MailLine:
    """One email as the page shows it: its row, the words around it, and whether its subject may be read."""

    row: Mail
    to: str
    subject: str | None  # None: withheld, it carries what the person may not see (`withheld` says which)
    withheld: str | None  # entitlement.PERSONAL (a case's personal data) or EXEMPT (exempt information)
    status: str
    colour: str
    retry: bool


def show_mail(request: Request, seen: Viewer, cycle: str, *, errors: dict[str, str] | None = None,
              status: int = 200) -> Response:
    at = seat(request.app.state.cycles, seen.principal, cycle)
    manage = entitlement.may_manage_mail(at.definition, at.person)
    lines = []
    for row in cycle_mail(request, at):
        said, colour = STATUS_WORDS.get(row.status, (row.status, "grey"))
        withheld = mail_withheld(request, at, row)
        lines.append(MailLine(row, person_title(at.definition, row.person),
                              row.subject if withheld is None else None, withheld, said, colour,
                              manage and row.status in RETRIED))
    words = cycle_words(at)
    return render(request, "mail.html", status=status, title=f"Mail – {words['cycle_title']}", section="/cycles",
                  lines=lines, errors=errors or {}, officer=entitlement.is_officer(at.definition, at.person),
                  **words)


def retry_now(request: Request, seen: Viewer, cycle: str, mail_id: int) -> Response:
    try:
        at = seat(request.app.state.cycles, seen.principal, cycle)
        api_retry(request, seen.principal, mail_id)
    except CycleError as exc:
        return show_mail(request, seen, cycle, errors={f"retry-{mail_id}": str(exc)}, status=status_of(exc))
    return done(f"/cycles/{at.cycle.key}/mail", "The email is queued to be sent again.")


@router.get("/cycles/{cycle}/documents")
async def documents_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show_documents, request, seen, cycle)


@router.get("/documents/{document_id}/{fmt}")
async def document_file(request: Request, seen: Annotated[Viewer, Depends(viewer)], document_id: RowId,
                        fmt: Literal["pdf", "docx", "html"]) -> Response:
    """The API's download, for a browser (sign-in and the 404 page rather than JSON)."""
    return await run_in_threadpool(download_document, request, seen.principal, document_id, fmt)


@router.get("/cycles/{cycle}/mail")
async def mail_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str) -> Response:
    return await run_in_threadpool(show_mail, request, seen, cycle)


@router.post("/cycles/{cycle}/mail/{mail_id}/retry")
async def retry(request: Request, seen: Annotated[Viewer, Depends(viewer)], cycle: str,
                mail_id: RowId) -> Response:
    return await run_in_threadpool(retry_now, request, seen, cycle, mail_id)
