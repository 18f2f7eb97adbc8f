"""Sign-off documents: the record a committee manager could file, made when a gate passes.

One admin-written HTML template per document kind is the source of all three
formats: the HTML itself (accessible, byte-identical for the same inputs),
a PDF from WeasyPrint and a Word file from html-for-docx, since officers edit in
Word. Every document has a public version; where exempt papers were considered
there is also an exempt version, and only that one names or hashes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.case_fields import values_of
from workflow.definition.entitlement import PERSONAL_MAIL, declares_personal, may_see_document
from workflow.definition.formatting import date_time, long_date
from workflow.definition.model import DOCUMENT_SECTIONS, Definition, DocumentSpec, Stage
from workflow.definition.notice_templates import DOCUMENT_SENT
from workflow.definition.templating import make_environment, reminder_files, render_bounded
from workflow.engine import SYSTEM_ACTOR, Engine
from workflow.reads.case_data import template_fields
from workflow.store.models import (
    CaseFieldValue,
    Cycle,
    Decision,
    Document,
    HistoryEntry,
    Mail,
    OutboxEvent,
)
from workflow.store.paper_store import PaperStore
from workflow.store.unit import cycle_for_writing
from workflow.time.actuals import timeline_of
from workflow.time.clock import local_date

from . import record_parts
from .links import MY_WORK, Links, context_links, with_links
from .pdf import to_pdf
from .recipients import resolve
from .reminders import inline_css, message_id, one_line

FORMATS = ("html", "pdf", "docx")
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Prepared:
    """One rendered and stored document version, waiting to be recorded."""

    spec: str
    version: str
    title: str
    stage: str
    definition_version: int
    template: str
    template_sha256: str
    hashes: dict[str, str]


@dataclass(frozen=True)
class Rendered:
    html: bytes
    pdf: bytes
    docx: bytes

    def formats(self) -> dict[str, bytes]:
        return {"html": self.html, "pdf": self.pdf, "docx": self.docx}


def to_docx(html: str, title: str, created: dt.datetime, header: str = "") -> bytes:
    from .word import to_docx as word  # python-docx and html-for-docx load only for document work

    return word(html, title=title, header=header or title, created=created)


class Documents:
    def __init__(self, engine: Engine, store: PaperStore, links: Links | None = None) -> None:
        self.engine = engine
        self.store = store
        self.links = links or Links()  # where the emails sending a document lead: its page, My work

    # -- the context --------------------------------------------------------------------

    def context(self, session: Session, cycle: Cycle, definition: Definition, spec: DocumentSpec,
                payload: dict[str, Any], event_at: dt.datetime, *, exempt: bool) -> dict[str, Any]:
        source = definition.stages[payload["from_stage"]]
        dest = definition.stages[payload["to_stage"]]
        transition = next(t for t in definition.transitions
                          if t.trigger == payload["trigger"] and source.id in t.sources)
        timeline = timeline_of(session, cycle, definition)
        owner_person = next((p for p in definition.people.values() if source.owner and source.owner in p.roles), None)
        owner = owner_person.title if owner_person else ""
        decisions = [session.get(Decision, i) for i in payload.get("decisions", [])]
        decision = next((d for d in decisions if d is not None), None)
        board_id = decision.board if decision else source.board
        board = definition.boards[board_id].name if board_id else definition.title
        history = session.scalars(select(HistoryEntry).where(HistoryEntry.cycle_id == cycle.id,
                                                             HistoryEntry.at <= event_at)
                                  .order_by(HistoryEntry.id)).all()
        history = [h for h in history if h.action != "document"]  # the documents' own anchors
        # Up to the step itself: a paper attached for the next stage in the same minute is not this record's.
        fired = [h.id for h in history if h.action == "fire" and not h.strand and h.trigger == transition.trigger
                 and h.from_state == source.id]
        if fired:
            history = [h for h in history if h.id <= fired[-1]]
        papers = record_parts.papers(session, cycle, source.id, history)
        shown = [p for p in papers if exempt or not p.exempt]
        day = decision.meeting_date if decision else local_date(event_at)
        version = "exempt" if exempt else "public"
        # A public version of an item considered wholly in private says so instead of the resolution.
        private = "" if exempt or decision is None else record_parts.private_note(session, cycle, definition, decision)
        withheld_decisions = record_parts.private_decisions(session, cycle, definition, event_at) - \
            ({decision.id} if exempt and decision else set())
        values = values_of(session, cycle.id)
        fields = template_fields(definition, values, exempt)
        return {
            "document": {"id": spec.id, "title": spec.title, "version": version,
                         "exempt": exempt, "date_text": long_date(day)},
            # Known before the register row exists: the cycle, the kind, the step and the moment it passed.
            "provenance": {"document_id": f"{cycle.key}/{spec.id}/{transition.trigger}/"
                                          f"{event_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}/{version}",
                           "cycle": cycle.key, "definition_id": definition.id,
                           "definition_version": definition.version, "template": spec.template,
                           "template_sha256": self.template_hash(definition, spec),
                           "generated_at": f"{date_time(event_at)} (UK time)",
                           "html_sha256": ""},
            "sections": {name: dict(spec.sections).get(name, "") for name in DOCUMENT_SECTIONS},
            "contact": {"name": owner_person.name if owner_person else "", "title": owner,
                        "email": owner_person.email if owner_person else ""},
            "cycle": {"title": definition.title, "key": cycle.key, "year": cycle.year, "owner_title": owner,
                      "definition_version": definition.version, "description": definition.description},
            "board": {"name": board},
            "transition": {"trigger": transition.trigger, "title": transition.title or transition.trigger,
                           "from_stage": source.title, "to_stage": dest.title},
            "purpose": spec.purpose or f"To record the decision of the {board} on the step "
                                       f"\u201c{transition.title or transition.trigger}\u201d.",
            "for_decision": decision is not None,
            "decision": record_parts.decision(session, definition, decision, private) if decision else None,
            "private": private,
            "milestones": record_parts.milestones(definition, timeline, history, dest.id),
            "papers": [{"title": p.title, "sha256": p.sha256, "filename": p.filename, "exempt": p.exempt,
                        "exempt_reason": p.exempt_reason or ""} for p in shown],
            "withheld": len(papers) - len(shown),
            "history": [record_parts.entry(definition, h, session, source.id if exempt else None, withheld_decisions)
                        for h in history],
            "board_date": f"{board}, {long_date(day)}",
            "priorities": record_parts.priorities(session, cycle),
            "strands": record_parts.strands(session, cycle, definition),
            "decisions": record_parts.carried(session, cycle, definition, event_at,
                                              decision.id if decision else None, exempt),
            # Personal values only in the exempt version, which only those entitled to the stage may see.
            "fields": fields,
            "case_details": [{"id": spec_.id, "title": spec_.title, "value": fields[spec_.id], "personal": spec_.personal}
                             for spec_ in definition.fields.values() if fields.get(spec_.id)],
            "personal": personal_values(definition, values),
        }

    # Kept under its old name: a test reads a history line as the record words it.
    _entry = staticmethod(record_parts.entry)

    def render(self, definition: Definition, spec: DocumentSpec, ctx: dict[str, Any],
               created: dt.datetime) -> Rendered:
        env = make_environment(self.engine.catalog.templates_for_snapshot(definition))
        html = render_bounded(env, spec.template, ctx)
        # A file cannot hold its own hash. The HTML's SHA-256 is known once it is rendered, so the PDF and
        # Word files, made from the same template, carry it; each file's own hash is in the register.
        sha = hashlib.sha256(html.encode("utf-8")).hexdigest()
        printed = render_bounded(env, spec.template, {**ctx, "provenance": {**ctx["provenance"], "html_sha256": sha}})
        return Rendered(html.encode("utf-8"), to_pdf(printed),
                        to_docx(printed, ctx["document"]["title"], created, ctx.get("board_date", "")))

    def template_hash(self, definition: Definition, spec: DocumentSpec) -> str:
        path = self.engine.catalog.templates_for_snapshot(definition) / spec.template
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def prepare(self, event_id: int) -> list[Prepared]:
        """Render and store every version from a read-only session: seconds of CPU, no write lock held."""
        with self.engine.sessions() as session:
            event = session.get(OutboxEvent, event_id)
            return self._prepare_in(session, event) if event is not None else []

    def _prepare_in(self, session: Session, event: OutboxEvent) -> list[Prepared]:
        cycle = session.get(Cycle, event.cycle_id)
        if cycle is None or not event.payload.get("documents"):
            return []
        definition = self.engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        prepared: list[Prepared] = []
        for spec_id in event.payload["documents"]:
            spec = definition.documents[spec_id]
            public = self.context(session, cycle, definition, spec, event.payload, event.created_at, exempt=False)
            versions = [("public", public)]
            # The exempt version holds what the public one withholds: exempt papers, a resolution taken in
            # private, or a case's personal data.
            if public["withheld"] or public["private"] or public["personal"]:
                versions.append(("exempt", self.context(session, cycle, definition, spec, event.payload,
                                                        event.created_at, exempt=True)))
            for version, ctx in versions:
                rendered = self.render(definition, spec, ctx, event.created_at)
                # Content-addressed: storing again what a crashed attempt stored is harmless.
                hashes = {fmt: self.store.put(content) for fmt, content in rendered.formats().items()}
                prepared.append(Prepared(spec_id, version, f"{spec.title}: {ctx['transition']['title']}",
                                         event.payload["from_stage"], definition.version, spec.template,
                                         self.template_hash(definition, spec), hashes))
        return prepared

    def apply(self, session: Session, event: OutboxEvent, now: dt.datetime, prepared: list[Prepared]) -> list[Document]:
        """Record the prepared documents and send them on, in the handler's transaction."""
        cycle = cycle_for_writing(session, event.cycle_id)  # before the rows that refer to it (CYCLE_LOCK)
        if cycle is None:
            return []
        definition = self.engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
        made: list[Document] = []
        for item in prepared:
            existing = session.scalars(select(Document).where(
                Document.event_id == event.id, Document.spec == item.spec, Document.version == item.version)).first()
            if existing is not None:
                made.append(existing)
                continue
            made.append(anchored_document(session, Document(
                cycle_id=cycle.id, event_id=event.id, spec=item.spec, version=item.version, title=item.title,
                stage=item.stage, definition_version=item.definition_version, template=item.template,
                template_sha256=item.template_sha256, html_sha256=item.hashes["html"], pdf_sha256=item.hashes["pdf"],
                docx_sha256=item.hashes["docx"], created_at=now)))
        for spec_id in dict.fromkeys(item.spec for item in prepared):
            self._notify(session, cycle, definition, definition.documents[spec_id], event, made, now)
        return made

    def generate(self, session: Session, event: OutboxEvent, now: dt.datetime) -> list[Document]:
        """Prepare and apply in one go, within the caller's session."""
        return self.apply(session, event, now, self._prepare_in(session, event))

    def _notify(self, session: Session, cycle: Cycle, definition: Definition, spec: DocumentSpec,
                event: OutboxEvent, made: list[Document], now: dt.datetime) -> None:
        """Send the document to the board that decided (its record, after its meeting) and to those the
        definition names (the next board, the owner): the exempt version only to those entitled to it."""
        source = definition.stages[event.payload["from_stage"]]
        dest = definition.stages[event.payload["to_stage"]]
        ours = {d.version: d for d in made if d.spec == spec.id}
        domain = "strategy-cycle.invalid"
        env = make_environment(self.engine.catalog.templates_for_snapshot(definition))
        deciders = tuple(f"board_members:{board}" for board in self.deciding_boards(session, event, source))
        for person in resolve(definition, dest, spec.notify + deciders):
            exempt = ours.get("exempt")
            document = exempt if exempt is not None and may_see_document(definition, exempt, person) \
                else ours["public"]
            key = f"document:{document.id}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            ctx = notice_context(definition, cycle, spec, document, person, self.links)
            subject, text, html = (env.get_template(name).render(**ctx) for name in reminder_files(DOCUMENT_SENT))
            text, html = with_links(text, html, [(f"Open the {spec.title.lower()} on the cycle's Documents page",
                                                  ctx["document"]["url"]), (MY_WORK, ctx["links"]["my_work"])])
            subject, html = one_line(subject), inline_css(html)
            session.add(Mail(key=key, cycle_id=cycle.id, kind="document", person=person,
                             recipient=definition.people[person].email,
                             subject=subject, text_body=text, html_body=html,
                             attachments={"documents": [{"id": document.id, "format": "pdf"}],
                                          # its words carry no case field: kept after retention (the PDF is not)
                                          **({PERSONAL_MAIL: False} if declares_personal(definition) else {})},
                             message_id=message_id(key, domain), dated=event.created_at, status="pending",
                             attempts=0, next_attempt_at=now, created_at=now))

    @staticmethod
    def deciding_boards(session: Session, event: OutboxEvent, source: Stage) -> list[str]:
        """The boards whose decisions passed the gate (else the stage's own board): they met, so they get the record."""
        decisions = [session.get(Decision, i) for i in event.payload.get("decisions", [])]
        boards = [d.board for d in decisions if d is not None]
        return list(dict.fromkeys(boards or ([source.board] if source.board else [])))

    def content(self, document: Document, fmt: str) -> bytes:
        return self.store.get(getattr(document, f"{fmt}_sha256"))


def notice_context(definition: Definition, cycle: Cycle, spec: DocumentSpec, document: Document,
                   person: str, links: Links | None = None) -> dict[str, Any]:
    """What the `document_sent` templates are given: `workflow.definition.notice_templates.DOCUMENT_SENT_CONTEXT`."""
    site = links or Links()
    who = definition.people[person]
    return {"cycle": {"title": definition.title, "key": cycle.key},
            "recipient": {"name": who.name, "title": who.title},
            "document": {"kind": spec.title, "step": document.title.split(": ", 1)[-1],
                         "exempt": document.version == "exempt", "pdf_sha256": document.pdf_sha256,
                         "html_sha256": document.html_sha256, "docx_sha256": document.docx_sha256,
                         "url": site.document(cycle.key, document.id) if document.id is not None else ""},
            "links": context_links(site)}


def personal_values(definition: Definition, values: dict[str, CaseFieldValue]) -> bool:
    """Does the case hold a personal value (so its record has an exempt version, for those entitled to it)?"""
    return any(spec.personal and (row := values.get(spec.id)) is not None and row.value
               for spec in definition.fields.values())


def anchored_hashes(document: Document) -> dict[str, str]:
    """What a document's history row records of it, and `documents verify` compares."""
    return {f"{fmt}_sha256": getattr(document, f"{fmt}_sha256") for fmt in FORMATS}


def verify(store: PaperStore, documents: list[Document]) -> list[tuple[Document, str, str]]:
    """Re-hash every stored file; returns (document, format, what is wrong) for each that changed."""
    problems: list[tuple[Document, str, str]] = []
    for document in documents:
        for fmt in FORMATS:
            expected = getattr(document, f"{fmt}_sha256")
            wrong = store.check(expected)
            if wrong is not None:
                problems.append((document, fmt, wrong))
    return problems


def anchored_document(session: Session, row: Document) -> Document:
    """Add a made document's row and anchor it in its cycle's hash chain (a `document` history row with its
    files' hashes), so the row and its files cannot later change together."""
    session.add(row)
    session.flush()
    session.add(HistoryEntry(
        cycle_id=row.cycle_id, at=row.created_at, actor=SYSTEM_ACTOR, action="document", trigger=None, strand=None,
        from_state=None, to_state=None, comment=None,
        data={"document_id": row.id, "spec": row.spec, "version": row.version, **anchored_hashes(row)}))
    return row
