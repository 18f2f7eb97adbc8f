"""Papers, sign-off records and mail for the signed-in person: what the API and the pages both call.

Each read is checked by `workflow.definition.entitlement`; a paper, document version or email the
person may not see is answered exactly as one that does not exist. The API's routes
(`api_records`) and the pages (`pages.papers`, `pages.records`) are adapters over these.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Path, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import func, select

from notifications import delivery
from workflow.definition import entitlement
from workflow.definition.model import Definition
from workflow.engine import Attached, Engine
from workflow.errors import InvalidInput, NotFound, RoleMissing
from workflow.reads import papers as paper_reads
from workflow.reads.erasure import require_kept
from workflow.store.attachment import safe_filename
from workflow.store.models import Document, Mail, Paper

from .access import Seat, engine_of, known_of, seat
from .accounts import Principal
from .downloads import download_headers

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# A paper is served as the type it was uploaded with only when that type is on this list; anything else
# (HTML, SVG, script, ...) as bytes to save, so an upload can never run in the service's origin.
PAPER_TYPES = frozenset({
    "application/pdf", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation", "text/plain", "text/csv", "image/png", "image/jpeg",
})
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def row_for(request: Request, me: Principal, model: type[Any], row_id: int, what: str) -> tuple[Any, Seat]:
    """The row and the person's seat in its cycle; NotFound for a row they may not know of."""
    engine = engine_of(request)
    with engine.sessions() as session:
        row = session.get(model, row_id)
        if row is not None:
            session.expunge(row)
    if row is None or row.cycle_id is None:
        raise NotFound(f"there is no {what} {row_id}")
    try:
        return row, seat(known_of(request), me, row.cycle_id)
    except NotFound:
        raise NotFound(f"there is no {what} {row_id}") from None


def attach_upload(engine: Engine, at: Seat, paper: str, file: UploadFile, *, exempt: int | None = None,
                  title: str | None = None, stage: str | None = None, comment: str | None = None) -> Attached:
    """Attach an uploaded file as `at.person`: the API's and the upload page's one way in.

    The engine reads a file, with its own checks of role, kind and size: the upload is copied in chunks
    to a temporary file under its own name, and no more than the largest accepted size is written.
    """
    name = safe_filename(file.filename or "paper")
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        target = FilePath(folder) / name
        with target.open("wb") as handle:
            limit, written = engine.max_paper_bytes, 0
            while chunk := file.file.read(1024 * 1024):
                written += len(chunk)
                if written > limit:
                    raise InvalidInput(f"the paper is larger than {limit // (1024 * 1024)} MB, the largest accepted")
                handle.write(chunk)
        try:
            return engine.attach(at.cycle.id, paper, target, at.person, exempt=exempt, title=title,
                                 comment=comment, stage=stage)
        except InvalidInput as exc:  # the engine names the file it read: say the person's name, not the server's path
            raise InvalidInput(str(exc).replace(str(target), f"'{name}'")) from None


def papers_for(request: Request, me: Principal, cycle: str) -> list[dict[str, Any]]:
    """The cycle's papers `me` may see."""
    at = seat(known_of(request), me, cycle)
    return paper_reads.visible_papers(engine_of(request), at.definition, at.cycle.id, at.person)


def paper_file(request: Request, me: Principal, paper_id: int) -> Response:
    """A paper's file, for `me` if entitled to it."""
    paper, at = row_for(request, me, Paper, paper_id, "paper")
    if not entitlement.may_see_paper(at.definition, paper, at.person):
        raise NotFound(f"there is no paper {paper_id}")
    content = engine_of(request).papers.get(paper.sha256)
    return Response(content, media_type=paper_type(paper.media_type),
                    headers=download_headers(paper.filename))


def paper_type(uploaded: str | None) -> str:
    """The Content-Type a paper is served with: its own if on `PAPER_TYPES`, else application/octet-stream."""
    kind = (uploaded or "").split(";")[0].strip().lower()
    return kind if kind in PAPER_TYPES else "application/octet-stream"


def documents_for(request: Request, me: Principal, cycle: str) -> list[dict[str, Any]]:
    """The cycle's sign-off records `me` may see, with their download addresses."""
    at = seat(known_of(request), me, cycle)
    return visible_documents(engine_of(request), at.definition, at.cycle.id, at.person)


def visible_documents(engine: Engine, definition: Definition, cycle_id: int, person: str) -> list[dict[str, Any]]:
    """The cycle's sign-off records `person` may see, by `workflow.definition.entitlement`, with their download addresses."""
    return [document_listed(d) for d in paper_reads.visible_documents(engine, definition, cycle_id, person)]


def document_listed(d: Document) -> dict[str, Any]:
    """A sign-off record as the API and pages list it, with its download addresses."""
    return {"id": d.id, "spec": d.spec, "version": d.version, "title": d.title, "stage": d.stage,
            "created_at": d.created_at, "formats": {f: f"/api/v1/documents/{d.id}/{f}" for f in MEDIA}}


def document_file(request: Request, me: Principal, document_id: int, fmt: str) -> Response:
    """A sign-off record as PDF, Word or HTML, for `me` if entitled to it."""
    document, at = row_for(request, me, Document, document_id, "document")
    with engine_of(request).sessions() as session:
        allowed = paper_reads.may_see_document(session, at.definition, document, at.person)
    if not allowed:
        raise NotFound(f"there is no document {document_id}")
    store = request.app.state.cycle.documents()
    require_kept(engine_of(request), getattr(document, f"{fmt}_sha256"), f"document {document_id} ({fmt})")
    content = store.get(getattr(document, f"{fmt}_sha256"))
    name = f"{document.spec}-{document.version}-{document.id}.{fmt}"
    return Response(content, media_type=MEDIA[fmt], headers=download_headers(name))


def mail_summary(row: Mail) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "person": row.person, "recipient": row.recipient, "status": row.status,
            "attempts": row.attempts, "dated": row.dated, "sent_at": row.sent_at, "last_error": row.last_error}


def may_read_mail(request: Request, at: Seat, row: Mail) -> bool:
    """May `at.person` read this email's subject and body (`entitlement.may_see_mail` on what it carries)?"""
    return mail_withheld(request, at, row) is None


def mail_withheld(request: Request, at: Seat, row: Mail) -> str | None:
    """Why `at.person` may not read this email (`entitlement.PERSONAL` or `EXEMPT`), or None when they may."""
    engine = engine_of(request)
    with engine.sessions() as session:
        papers = [session.get(Paper, i) for i in row.attachments.get("papers", [])]
        documents = [session.get(Document, d["id"]) for d in row.attachments.get("documents", [])]
    return entitlement.withheld_because(at.definition, row, at.person, papers=[p for p in papers if p],
                                        documents=[d for d in documents if d])


def cycle_mail(request: Request, at: Seat) -> list[Mail]:
    """The cycle's email `at.person` may list: all of it for an officer, their own otherwise."""
    officer = entitlement.is_officer(at.definition, at.person)
    with engine_of(request).sessions() as session:
        query = select(Mail).where(Mail.cycle_id == at.cycle.id).order_by(Mail.id)
        if not officer:  # their own: by the address it went to (ids may pass to someone else in a migration)
            query = query.where(func.lower(Mail.recipient) == at.definition.people[at.person].email.strip().lower())
        if not entitlement.may_manage_contacts(at.definition, at.person):  # outside parties' addresses: personal
            query = query.where(Mail.person.not_like(f"{entitlement.CONTACT}%"))
        return list(session.scalars(query))


def mail_for(request: Request, me: Principal, mail_id: int) -> dict[str, Any]:
    """One email, with its subject and body, if `me` may read them."""
    row, at = row_for(request, me, Mail, mail_id, "mail")
    if not entitlement.is_addressee(at.definition, row, at.person) and not entitlement.is_officer(at.definition,
                                                                                                  at.person):
        raise NotFound(f"there is no mail {mail_id}")
    if not may_read_mail(request, at, row):
        raise NotFound(f"there is no mail {mail_id}")
    return mail_summary(row) | {"subject": row.subject, "text_body": row.text_body}


def retry_mail(request: Request, me: Principal, mail_id: int) -> dict[str, Any]:
    """Queue a failed or uncertain email again, as an officer who may manage the cycle's mail."""
    row, at = row_for(request, me, Mail, mail_id, "mail")
    if not entitlement.is_officer(at.definition, at.person):
        if not entitlement.is_addressee(at.definition, row, at.person):
            raise NotFound(f"there is no mail {mail_id}")
        raise RoleMissing(f"{at.person} cannot queue mail again on '{at.definition.id}': that is for the officers "
                          "who start cycles or attach papers")
    if not entitlement.may_manage_mail(at.definition, at.person):
        raise RoleMissing(f"{at.person} cannot queue mail again on '{at.definition.id}'")
    return mail_summary(delivery.retry(engine_of(request), mail_id))
