"""The papers and sign-off documents of a cycle that a person may see (`definition.entitlement`).

The others are not named at all. The API, the pages and any other reader call these.

A document is seen by `entitlement.may_see_document`'s rule, and an agenda pack's private version (`exempt`,
`exempt-2`, ...: members entitled to different private items get different packs, each possibly holding other
cycles' exempt papers) only by those it was sent to (the pack's emails, `notifications.agenda_issue`, name it)
and the board's committee manager (`meetings.manages_board`): `may_see_document` here is the one check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.commands.meetings import manages_board
from workflow.definition import entitlement
from workflow.definition.model import Definition
from workflow.store.models import Document, Mail, Paper
from workflow.store.unit import Store


def visible_papers(engine: Store, definition: Definition, cycle_id: int, person: str) -> list[dict[str, Any]]:
    """The cycle's papers that `person` may see, by `workflow.definition.entitlement`; the others are not named at all.

    `considered_at` lists the stages whose decision considers each (`entitlement.considering_stages`): the
    stage it was attached for, then the later stages that name it; `yours_at` those at which `person` may see it
    as that stage's business (`entitlement.may_see_paper_at`), so a page shows it at each meeting it is theirs for.
    """
    with engine.sessions() as session:
        rows = list(session.scalars(select(Paper).where(Paper.cycle_id == cycle_id).order_by(Paper.id)))
    return paper_views(definition, rows, person)


def paper_views(definition: Definition, rows: Iterable[Paper], person: str) -> list[dict[str, Any]]:
    """`visible_papers` of paper rows already read (in id order): those `person` may see, and where."""
    return [{"id": p.id, "paper": p.paper, "title": p.title, "stage": p.stage, "filename": p.filename,
             "media_type": p.media_type, "size": p.size, "sha256": p.sha256, "exempt": p.exempt,
             "exempt_reason": p.exempt_reason, "attached_by": p.attached_by, "attached_at": p.attached_at,
             "considered_at": list(entitlement.considering_stages(definition, p.paper, p.stage)),
             "yours_at": [stage for stage in entitlement.considering_stages(definition, p.paper, p.stage)
                          if entitlement.may_see_paper_at(definition, p, stage, person)]}
            for p in entitlement.visible_papers(definition, rows, person)]


def visible_documents(engine: Store, definition: Definition, cycle_id: int, person: str) -> list[Document]:
    """The cycle's sign-off records `person` may see, oldest first."""
    with engine.sessions() as session:
        rows = list(session.scalars(select(Document).where(Document.cycle_id == cycle_id).order_by(Document.id)))
        return document_views(session, definition, rows, person)


def document_views(session: Session, definition: Definition, rows: Iterable[Document],
                   person: str | None) -> list[Document]:
    """`visible_documents` of document rows already read (in id order)."""
    rows = list(rows)
    sent = packs_sent(session, definition, {d.cycle_id for d in rows if private_pack(d)}, person)
    return [d for d in rows if _may_see(definition, d, person, sent)]


PACK = "agenda_pack"
"""The spec of an agenda pack's documents (`notifications.agenda_issue.SPEC`)."""


def private_pack(document: Document) -> bool:
    """Is this an agenda pack's private version, for those it was sent to only?"""
    return document.spec == PACK and document.version != "public"


def may_see_document(session: Session, definition: Definition, document: Document, person: str | None) -> bool:
    """May `person` see this document (its files, its listing)? `entitlement.may_see_document`, and an agenda
    pack's private version only for those it was sent to (and entitled now) and the board's committee manager."""
    sent = packs_sent(session, definition, {document.cycle_id} if private_pack(document) else set(), person)
    return _may_see(definition, document, person, sent)


def _may_see(definition: Definition, document: Document, person: str | None, sent: set[int]) -> bool:
    if not private_pack(document):
        return entitlement.may_see_document(definition, document, person)
    if person is None:
        return False
    stage = definition.stages.get(document.stage)
    if stage is not None and stage.board and manages_board(definition, stage.board, person):
        return True
    return document.id in sent and entitlement.may_see_document(definition, document, person)


def packs_sent(session: Session, definition: Definition, cycle_ids: set[int], person: str | None) -> set[int]:
    """The ids of the agenda pack documents of `cycle_ids` emailed to `person` (by address, as `is_addressee`)."""
    found = definition.people.get(person or "")
    if not cycle_ids or found is None or not found.email.strip():
        return set()
    query = select(Mail.attachments).where(Mail.kind == "agenda", Mail.cycle_id.in_(cycle_ids),
                                           func.lower(Mail.recipient) == found.email.strip().lower())
    return {int(d["id"]) for carried in session.scalars(query) for d in (carried or {}).get("documents", [])}
