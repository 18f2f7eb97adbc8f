"""What a reader is shown of the mail and documents the workers made, by `workflow.definition.entitlement`'s rule.

The CLI (and any other entry point that shows mail or documents) reads them through
these functions: an email carrying exempt papers or an exempt record is shown in full
only to people entitled, under the definition version the cycle runs on now, to
everything it carries (its addressee included); a document's
exempt version only to people entitled to its stage's exempt papers, others getting
the public version of the same record.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definition.entitlement import (
    EXEMPT,
    may_see_mail,
    to_contact,
    withheld_because,
)
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.errors import NotFound
from workflow.reads import papers as paper_reads
from workflow.store.models import Cycle, Document, Mail, Paper

from . import outside


@dataclass(frozen=True)
class Shown:
    """A mail row as a reader may see it: `readable` False means subject and body are withheld."""

    mail: Mail
    readable: bool
    reason: str | None = None  # why not readable: entitlement.PERSONAL or EXEMPT


def definition_of(engine: Engine, session: Session, cycle_id: int) -> Definition:
    cycle = session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(f"there is no cycle {cycle_id}")
    return engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)


def readable_mail(engine: Engine, session: Session, mail: Mail, reader: str | None,
                  definition: Definition | None = None) -> bool:
    """May `reader` (None: the public) see this email's subject, body and attachments?"""
    return withheld_reason(engine, session, mail, reader, definition) is None


def withheld_reason(engine: Engine, session: Session, mail: Mail, reader: str | None,
                    definition: Definition | None = None) -> str | None:
    """Why `reader` may not read this email (`entitlement.PERSONAL` or `EXEMPT`), or None when they may."""
    if mail.cycle_id is None:
        return EXEMPT  # an account's one-time sign-in link: for its addressee alone
    definition = definition or definition_of(engine, session, mail.cycle_id)
    engine.reader(definition, reader)
    paper_ids = list(mail.attachments.get("papers", []))
    document_ids = [item["id"] for item in mail.attachments.get("documents", [])]
    papers = list(session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))) if paper_ids else []
    documents = list(session.scalars(select(Document).where(Document.id.in_(document_ids)))) if document_ids else []
    return withheld_because(definition, mail, reader, papers=papers, documents=documents)


def recipient_entitled(engine: Engine, session: Session, mail: Mail) -> bool:
    """May the mailbox this email goes to (by address, in the cycle's definition today) see all it carries?

    The workers ask before handing an email over: a `cycle migrate` may have made its addressee an
    observer, or given their directory id to another address, since it was queued.
    """
    if mail.cycle_id is None:
        return True  # an account's one-time link carries nothing of a cycle
    definition = definition_of(engine, session, mail.cycle_id)
    if to_contact(mail):  # a contact outside the directory, still the cycle's, carrying nothing of the boards'
        return outside.still_addressed(session, mail) and not mail.attachments.get("papers") and \
            not mail.attachments.get("documents")
    address = mail.recipient.strip().lower()
    person = next((pid for pid, found in definition.people.items() if found.email.strip().lower() == address), None)
    paper_ids = list(mail.attachments.get("papers", []))
    document_ids = [item["id"] for item in mail.attachments.get("documents", [])]
    papers = list(session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))) if paper_ids else []
    documents = list(session.scalars(select(Document).where(Document.id.in_(document_ids)))) if document_ids else []
    return may_see_mail(definition, mail, person, papers=papers, documents=documents)


WITHHELD = "withheld: the recipient is no longer entitled to what it carries"


def shown_mail(engine: Engine, session: Session, rows: list[Mail], reader: str | None) -> list[Shown]:
    """Each row with whether `reader` may read it; one definition load per cycle."""
    definitions: dict[int, Definition] = {}
    shown = []
    for row in rows:
        if row.cycle_id is None:
            shown.append(Shown(row, False, EXEMPT))
            continue
        if row.cycle_id not in definitions:
            definitions[row.cycle_id] = definition_of(engine, session, row.cycle_id)
        reason = withheld_reason(engine, session, row, reader, definitions[row.cycle_id])
        shown.append(Shown(row, reason is None, reason))
    return shown


def document_for(engine: Engine, session: Session, document: Document, reader: str | None) -> Document:
    """The version of `document` that `reader` may see: itself, or the public version of the same record."""
    definition = definition_of(engine, session, document.cycle_id)
    engine.reader(definition, reader)
    if paper_reads.may_see_document(session, definition, document, reader):
        return document
    public = session.scalars(select(Document).where(Document.event_id == document.event_id,
                                                    Document.spec == document.spec,
                                                    Document.version == "public")).first()
    if public is None:
        raise NotFound(f"document {document.id} has no public version")
    return public
