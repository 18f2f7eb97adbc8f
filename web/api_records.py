"""/api/v1 papers, documents and mail: attach, list and download, each read checked by `workflow.definition.entitlement`.

A paper, document version or email the person may not see is answered exactly as
one that does not exist. The routes are adapters over `web.records`, which the pages call too.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from . import records
from .access import engine_of, known_of, seat
from .api_cycles import CycleRef
from .auth import Me
from .problems import PROBLEM_RESPONSES
from .records import MEDIA, RowId

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


@router.post("/cycles/{cycle}/papers", status_code=201, summary="Attach a paper (multipart)")
def attach(request: Request, me: Me, cycle: CycleRef, paper: Annotated[str, Form(max_length=100)],
           file: Annotated[UploadFile, File()],
           exempt: Annotated[int | None, Form(ge=1, le=7, description="Schedule 12A paragraph, if exempt")] = None,
           title: Annotated[str | None, Form(max_length=300)] = None,
           stage: Annotated[str | None, Form(max_length=100)] = None,
           comment: Annotated[str | None, Form(max_length=2000)] = None) -> dict[str, Any]:
    at = seat(known_of(request), me, cycle)
    result = records.attach_upload(engine_of(request), at, paper, file, exempt=exempt, title=title, stage=stage,
                                   comment=comment)
    return dataclasses.asdict(result)


@router.get("/cycles/{cycle}/papers", summary="The cycle's papers you may see")
def list_papers(request: Request, me: Me, cycle: CycleRef) -> list[dict[str, Any]]:
    return records.papers_for(request, me, cycle)


@router.get("/papers/{paper_id}", summary="Download a paper",
            responses={200: {"content": {"application/octet-stream": {}}}})
def download_paper(request: Request, me: Me, paper_id: RowId) -> Response:
    return records.paper_file(request, me, paper_id)


@router.get("/cycles/{cycle}/documents", summary="The cycle's sign-off records you may see")
def list_documents(request: Request, me: Me, cycle: CycleRef) -> list[dict[str, Any]]:
    return records.documents_for(request, me, cycle)


@router.get("/documents/{document_id}/{fmt}", summary="Download a sign-off record as PDF, Word or HTML",
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}}})
def download_document(request: Request, me: Me, document_id: RowId, fmt: Literal["pdf", "docx", "html"]) -> Response:
    return records.document_file(request, me, document_id, fmt)


@router.get("/cycles/{cycle}/mail", summary="The cycle's email: all of it for its officers, your own otherwise")
def list_mail(request: Request, me: Me, cycle: CycleRef) -> list[dict[str, Any]]:
    return [records.mail_summary(r) for r in records.cycle_mail(request, seat(known_of(request), me, cycle))]


@router.get("/mail/{mail_id}", summary="One email, with its subject and body if you may read them")
def show_mail(request: Request, me: Me, mail_id: RowId) -> dict[str, Any]:
    return records.mail_for(request, me, mail_id)


@router.post("/mail/{mail_id}/retry", summary="Queue a failed or uncertain email again")
def retry_mail(request: Request, me: Me, mail_id: RowId) -> dict[str, Any]:
    return records.retry_mail(request, me, mail_id)
