"""`cycle retention run`: after a case's retention period, erase its personal data and what was made from it.

Made from personal values, and erased with them: the personal fields (value and salt), the outside
contacts' names, emails and postal addresses, the letters written to them (subject and PDF), the
subjects and bodies of the emails written with personal values in them (or to a contact), and the
stored files of the documents' exempt versions, which alone carry personal fields. Every row stays
for the record, marked with when it was erased; a destroyed file leaves a tombstone of its SHA-256
(`erased_files`), since the append-only `documents` rows still name it. One `erase` history row per
case names the fields and how many of each kind were erased, never a value; no history row changes,
so `cycle history verify` still passes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.commands.case_fields import ERASE, values_of
from workflow.commands.cycles import SYSTEM_ACTOR, definition_of
from workflow.commands.rows import INSERT_HISTORY, history_row
from workflow.definition.calendar import add_period
from workflow.definition.entitlement import (
    PERSONAL_MAIL,
    carries_personal,
    declares_personal,
    to_contact,
)
from workflow.definition.model import Definition
from workflow.store.models import (
    CaseContact,
    CaseFieldValue,
    CaseLetter,
    Cycle,
    Document,
    ErasedFile,
    Mail,
)
from workflow.store.paper_store import PaperStore
from workflow.store.unit import Store
from workflow.time.clock import local_date

KINDS = ("contacts", "letters", "mail", "documents")
"""What an `erase` history row counts besides the fields, in the order it is told."""
UNSENT = "erased after the case's retention period before it was sent"
DOCUMENT_FORMATS = ("html", "pdf", "docx")


@dataclass(frozen=True)
class Erased:
    """What one run erased of one case: its personal fields by name, and how many of each other kind."""

    cycle: str
    fields: list[str]
    records: dict[str, int] = field(default_factory=dict)

    def said(self) -> str:
        """In words, as `cycle retention run` prints it: "erased date_of_death, subject_name; 2 contacts, ..."."""
        return "erased " + "; ".join(part for part in (", ".join(self.fields), counted(self.records)) if part)


NOUNS = {"contacts": ("outside contact", "outside contacts"), "letters": ("letter", "letters"),
         "mail": ("email", "emails"), "documents": ("document's exempt version", "documents' exempt versions")}


def counted(records: dict[str, int]) -> str:
    """How many of each kind, in words: "1 outside contact, 3 emails"."""
    return ", ".join(f"{records[kind]} {NOUNS[kind][records[kind] != 1]}" for kind in KINDS if records.get(kind))


def closed_on(cycle: Cycle) -> dt.date | None:
    """The day a cycle closed (entered its final stage), or None while it runs."""
    return local_date(cycle.state_entered_at) if cycle.status == "complete" else None


def due(definition: Definition, cycle: Cycle, today: dt.date) -> bool:
    """Is the case past its definition's retention period (counted from the day it closed)?"""
    closed = closed_on(cycle)
    return closed is not None and definition.retention is not None and add_period(closed, definition.retention) <= today


def retention_run(store: Store, documents: PaperStore | None = None) -> list[Erased]:
    """Erase what each case closed longer than its definition keeps personal data still holds of it.

    Without `documents` (where generated documents are kept), the documents' exempt versions wait for a
    run that has it; the rest is erased.
    """
    now = store.clock.now()
    today = local_date(now)
    with store.sessions() as session:
        keys = session.scalars(select(Cycle.key).where(Cycle.status == "complete").where(or_(
            Cycle.id.in_(select(CaseFieldValue.cycle_id).where(CaseFieldValue.personal)),
            Cycle.id.in_(select(CaseContact.cycle_id)))).order_by(Cycle.id)).all()
    erased: list[Erased] = []
    for key in keys:
        with store.unit_of_work() as session:
            cycle = session.scalars(select(Cycle).where(Cycle.key == key)).one()
            definition = definition_of(store, session, cycle)
            if not due(definition, cycle, today):
                continue
            found = erase(store, session, cycle, definition, now, documents=documents is not None)
            if found is not None:
                erased.append(found)
    destroy_files(store, documents)
    return erased


def erase(store: Store, session: Session, cycle: Cycle, definition: Definition, now: dt.datetime, *,
          documents: bool = True) -> Erased | None:
    """Erase in the caller's transaction; the `erase` history row names the fields and counts the rest."""
    names = _fields(session, cycle, now)
    records = {"contacts": _contacts(session, cycle, now), "letters": _letters(session, cycle, now),
               "mail": _mail(session, cycle, definition, now),
               "documents": _documents(session, cycle, definition, now) if documents else 0}
    records = {kind: n for kind, n in records.items() if n}
    if not names and not records:
        return None
    session.flush()
    history = history_row(store, cycle, now, SYSTEM_ACTOR, ERASE, trigger=None, from_state=None, to_state=None,
                          comment="personal data erased after its retention period",
                          data={"erased": names, "records": records})
    session.connection().execute(INSERT_HISTORY, history)
    return Erased(cycle.key, names, records)


def _fields(session: Session, cycle: Cycle, now: dt.datetime) -> list[str]:
    rows = [row for row in values_of(session, cycle.id).values() if row.personal and row.erased_at is None]
    for row in rows:
        row.value, row.salt, row.erased_at = None, None, now
    return sorted(row.name for row in rows)


def _contacts(session: Session, cycle: Cycle, now: dt.datetime) -> int:
    rows = session.scalars(select(CaseContact).where(CaseContact.cycle_id == cycle.id,
                                                     CaseContact.erased_at.is_(None))).all()
    for row in rows:
        # The salt goes too: the digests the history keeps of the details can no longer be tested.
        row.name, row.email, row.address, row.salt, row.erased_at = "", None, None, None, now
    return len(rows)


def _letters(session: Session, cycle: Cycle, now: dt.datetime) -> int:
    rows = session.scalars(select(CaseLetter).where(CaseLetter.cycle_id == cycle.id,
                                                    CaseLetter.erased_at.is_(None))).all()
    for row in rows:
        row.subject, row.erased_at = "", now
        _tombstone(session, cycle, row.pdf_sha256, "letter", now)
    return len(rows)


def personal_mail(definition: Definition, mail: Mail) -> bool:
    """Was this email written with personal data in it? Marked so when it was written (`PERSONAL_MAIL`);
    one to a contact outside the directory is theirs; one written before emails were marked, in a case
    whose definition declares personal fields, is taken to be."""
    if to_contact(mail) or carries_personal(mail):
        return True
    return declares_personal(definition) and PERSONAL_MAIL not in (mail.attachments or {})


def _mail(session: Session, cycle: Cycle, definition: Definition, now: dt.datetime) -> int:
    rows = [row for row in session.scalars(select(Mail).where(Mail.cycle_id == cycle.id, Mail.erased_at.is_(None)))
            if personal_mail(definition, row)]
    for row in rows:
        row.subject, row.text_body, row.html_body, row.erased_at = "", "", "", now
        if to_contact(row):
            row.recipient = ""  # an outside party's own address
        if row.status not in ("sent", "failed"):
            row.status, row.last_error = "failed", UNSENT
    return len(rows)


def _documents(session: Session, cycle: Cycle, definition: Definition, now: dt.datetime) -> int:
    """The exempt versions' files: only they carry personal fields (a public version reads `(withheld)`)."""
    if not declares_personal(definition):
        return 0
    gone = set(session.scalars(select(ErasedFile.sha256).where(ErasedFile.cycle_id == cycle.id)))
    count = 0
    for row in session.scalars(select(Document).where(Document.cycle_id == cycle.id, Document.version == "exempt")):
        hashes = [getattr(row, f"{fmt}_sha256") for fmt in DOCUMENT_FORMATS]
        if all(sha in gone for sha in hashes):
            continue
        for sha in hashes:
            if sha not in gone:
                _tombstone(session, cycle, sha, "document", now)
                gone.add(sha)
        count += 1
    return count


def _tombstone(session: Session, cycle: Cycle, sha256: str, kind: str, now: dt.datetime) -> None:
    if session.get(ErasedFile, sha256) is None:
        session.add(ErasedFile(sha256=sha256, cycle_id=cycle.id, kind=kind, erased_at=now))


def destroy_files(store: Store, documents: PaperStore | None) -> None:
    """Remove every tombstoned file still stored: after the erasure committed, and again on each run, so a
    file a failed run left behind goes on the next."""
    with store.sessions() as session:
        stones = session.execute(select(ErasedFile.sha256, ErasedFile.kind)).all()
    for sha256, kind in stones:
        files = store.papers if kind == "letter" else documents
        if files is not None:
            files.destroy(sha256)

