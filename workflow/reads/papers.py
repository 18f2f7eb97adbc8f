"""The papers and sign-off documents of a cycle that a person may see (`definition.entitlement`).

The others are not named at all. The API, the pages and any other reader call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from workflow.definition import entitlement
from workflow.definition.model import Definition
from workflow.store.models import Document, Paper
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
    return document_views(definition, rows, person)


def document_views(definition: Definition, rows: Iterable[Document], person: str) -> list[Document]:
    """`visible_documents` of document rows already read (in id order)."""
    return [d for d in rows if entitlement.may_see_document(definition, d, person)]
