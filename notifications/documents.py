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
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.calendar import Timeline
from workflow.definition import Definition, DocumentSpec
from workflow.engine import SYSTEM_ACTOR, Engine
from workflow.models import (
    Cycle,
    Decision,
    DecisionAttendee,
    Document,
    HistoryEntry,
    Mail,
    OutboxEvent,
    Paper,
    StrandState,
)
from workflow.storage import PaperStore
from workflow.templating import make_environment, render_bounded

from .recipients import entitled_to_exempt, resolve
from .reminders import message_id, one_line

FORMATS = ("html", "pdf", "docx")
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def long_date(day: dt.date) -> str:
    return f"{day:%A %-d %B %Y}"


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


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only document work needs

    return bytes(HTML(string=html).write_pdf())


def to_docx(html: str, title: str, created: dt.datetime) -> bytes:
    import docx
    from html4docx import HtmlToDocx

    document = docx.Document()
    properties = document.core_properties
    properties.title, properties.author = title, "strategy-cycle"
    # Word stamps files with "now"; the decision's own time keeps regenerated files alike.
    properties.created = properties.modified = created.replace(tzinfo=None)
    main = re.search(r"<main>(.*)</main>", html, re.S)
    HtmlToDocx().add_html_to_document(main.group(1) if main else html, document)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), created)


def _fixed_zip_times(content: bytes, when: dt.datetime) -> bytes:
    """python-docx stamps each part of the file with the time of writing; stamp the decision's time instead."""
    stamp = when.timetuple()[:6]
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


class Documents:
    def __init__(self, engine: Engine, store: PaperStore) -> None:
        self.engine = engine
        self.store = store

    # -- the context --------------------------------------------------------------------

    def context(self, session: Session, cycle: Cycle, definition: Definition, spec: DocumentSpec,
                payload: dict[str, Any], event_at: dt.datetime, *, exempt: bool) -> dict[str, Any]:
        source = definition.stages[payload["from_stage"]]
        dest = definition.stages[payload["to_stage"]]
        transition = next(t for t in definition.transitions
                          if t.trigger == payload["trigger"] and source.id in t.sources)
        timeline = Timeline(definition, cycle.year)
        owner = next((p.title for p in definition.people.values() if source.owner and source.owner in p.roles), "")
        decisions = [session.get(Decision, i) for i in payload.get("decisions", [])]
        decision = next((d for d in decisions if d is not None), None)
        board_id = decision.board if decision else source.board
        board = definition.boards[board_id].name if board_id else definition.title
        history = session.scalars(select(HistoryEntry).where(HistoryEntry.cycle_id == cycle.id,
                                                             HistoryEntry.at <= event_at)
                                  .order_by(HistoryEntry.id)).all()
        history = [h for h in history if h.action != "document"]  # the documents' own anchors
        papers = self._papers(session, cycle, source.id, history)
        shown = [p for p in papers if exempt or not p.exempt]
        day = decision.meeting_date if decision else event_at.date()
        return {
            "document": {"id": spec.id, "title": spec.title, "version": "exempt" if exempt else "public",
                         "exempt": exempt, "date_text": long_date(day)},
            "cycle": {"title": definition.title, "key": cycle.key, "year": cycle.year, "owner_title": owner,
                      "definition_version": definition.version, "description": definition.description},
            "board": {"name": board},
            "transition": {"trigger": transition.trigger, "title": transition.title or transition.trigger,
                           "from_stage": source.title, "to_stage": dest.title},
            "purpose": spec.purpose or f"To record the decision of the {board} on the step "
                                       f"\u201c{transition.title or transition.trigger}\u201d.",
            "for_decision": decision is not None,
            "decision": self._decision(session, definition, decision) if decision else None,
            "milestones": self._milestones(definition, timeline, history, dest.id),
            "papers": [{"title": p.title, "sha256": p.sha256, "filename": p.filename, "exempt": p.exempt,
                        "exempt_reason": p.exempt_reason or ""} for p in shown],
            "withheld": len(papers) - len(shown),
            "history": [self._entry(definition, h, session, exempt) for h in history],
            "priorities": self._priorities(session, cycle),
            "strands": self._strands(session, cycle, definition),
            "decisions": [{"board": definition.boards[d.board].name, "item": d.item, "outcome": d.outcome,
                           "resolution": d.resolution, "meeting_date_text": long_date(d.meeting_date)}
                          for d in session.scalars(select(Decision).where(Decision.cycle_id == cycle.id,
                                                                          Decision.recorded_at <= event_at,
                                                                          Decision.outcome == "carried")
                                                   .order_by(Decision.id))],
        }

    @staticmethod
    def _papers(session: Session, cycle: Cycle, stage: str, history: list[HistoryEntry]) -> list[Paper]:
        """The latest copy of each paper attached while the cycle was at this stage."""
        ids = [h.data.get("paper_id") for h in history if h.action == "attach" and h.from_state == stage]
        rows = [session.get(Paper, i) for i in ids if i is not None]
        latest: dict[str, Paper] = {}
        for row in rows:
            if row is not None:
                latest[row.paper] = row
        return sorted(latest.values(), key=lambda p: p.id)

    @staticmethod
    def _decision(session: Session, definition: Definition, decision: Decision) -> dict[str, Any]:
        attendees = session.scalars(select(DecisionAttendee).where(DecisionAttendee.decision_id == decision.id)
                                    .order_by(DecisionAttendee.id)).all()

        def who(a: DecisionAttendee) -> dict[str, Any]:
            person = definition.people.get(a.person)
            return {"title": person.title if person else a.person, "membership": a.membership.replace("_", " "),
                    "vote": a.vote or "", "interest": a.interest or ""}

        return {
            "board": definition.boards[decision.board].name, "item": decision.item, "outcome": decision.outcome,
            "resolution": decision.resolution, "meeting_date_text": long_date(decision.meeting_date),
            "votes_for": decision.votes_for, "votes_against": decision.votes_against,
            "abstentions": decision.abstentions, "voting_present": decision.voting_present,
            "quorum": decision.quorum,
            "present": [who(a) for a in attendees if a.attendance == "present" and a.vote],
            "non_voting_present": [who(a) for a in attendees if a.attendance == "present" and not a.vote],
            "apologies": [who(a) for a in attendees if a.attendance == "apologies"],
            "interests": [who(a) for a in attendees if a.interest],
        }

    @staticmethod
    def _milestones(definition: Definition, timeline: Timeline, history: list[HistoryEntry],
                    current: str) -> list[dict[str, Any]]:
        left = {h.from_state: h.at for h in history if h.action == "fire" and not h.strand and h.from_state}
        rows = []
        for stage in definition.stages.values():
            due = timeline.stage_due(stage.id)
            if due is None:
                continue
            if stage.id in left:
                status = f"Complete ({left[stage.id]:%-d %B %Y})"
            elif stage.id == current:
                status = "Current"
            else:
                status = "To come"
            rows.append({"date_text": long_date(due), "title": stage.title, "status": status})
        return rows

    @staticmethod
    def _entry(definition: Definition, h: HistoryEntry, session: Session, exempt: bool) -> dict[str, Any]:
        actor = definition.people[h.actor].title if h.actor in definition.people else h.actor
        if h.action == "start":
            summary = f"started the cycle at '{h.to_state}'"
        elif h.action == "decide":
            summary = f"recorded the decision of the {definition.boards[h.data['board']].name} on " \
                      f"'{h.data['item']}': {h.data['outcome']}"
        elif h.action == "attach":
            paper = session.get(Paper, h.data.get("paper_id"))
            if paper is not None and paper.exempt and not exempt:
                summary = "attached an exempt paper"
            else:
                summary = f"attached '{paper.title if paper else h.data.get('paper')}' (SHA-256 {h.data['sha256']})"
        elif h.action == "overdue":
            summary = f"'{h.from_state}' fell overdue"
        elif h.strand:
            summary = f"{h.strand}: {h.trigger} ('{h.from_state}' to '{h.to_state}')"
        else:
            summary = f"{h.trigger}: '{h.from_state}' to '{h.to_state}'"
        if h.comment:
            summary += f". {h.comment}"
        return {"at": f"{h.at:%Y-%m-%d %H:%M}", "actor": actor, "summary": summary}

    @staticmethod
    def _priorities(session: Session, cycle: Cycle) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for decision in session.scalars(select(Decision).where(Decision.cycle_id == cycle.id,
                                                               Decision.outcome == "carried").order_by(Decision.id)):
            found = list(decision.details.get("priorities", found)) if decision.details else found
        return found

    @staticmethod
    def _strands(session: Session, cycle: Cycle, definition: Definition) -> list[dict[str, Any]]:
        notes: dict[str, list[str]] = {}
        for h in session.scalars(select(HistoryEntry).where(HistoryEntry.cycle_id == cycle.id,
                                                            HistoryEntry.strand.is_not(None))
                                 .order_by(HistoryEntry.id)):
            if h.comment and h.strand:
                notes.setdefault(h.strand, []).append(h.comment)
        rows = []
        for row in session.scalars(select(StrandState).where(StrandState.cycle_id == cycle.id)
                                   .order_by(StrandState.id)):
            spec = definition.stages[row.stage].strand(row.strand)
            rows.append({"title": spec.title if spec else row.strand, "state": row.state,
                         "notes": notes.get(row.strand, [])})
        return rows

    # -- rendering and storing -------------------------------------------------------------

    def render(self, definition: Definition, spec: DocumentSpec, ctx: dict[str, Any],
               created: dt.datetime) -> Rendered:
        env = make_environment(self.engine.catalog.templates_for_snapshot(definition))
        html = render_bounded(env, spec.template, ctx)
        return Rendered(html.encode("utf-8"), to_pdf(html), to_docx(html, ctx["document"]["title"], created))

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
            if public["withheld"]:
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
        cycle = session.get(Cycle, event.cycle_id)
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
            row = Document(cycle_id=cycle.id, event_id=event.id, spec=item.spec, version=item.version,
                           title=item.title, stage=item.stage, definition_version=item.definition_version,
                           template=item.template, template_sha256=item.template_sha256,
                           html_sha256=item.hashes["html"], pdf_sha256=item.hashes["pdf"],
                           docx_sha256=item.hashes["docx"], created_at=now)
            session.add(row)
            session.flush()
            # Anchor the document in the cycle's hash chain: its row and files cannot later change together.
            session.add(HistoryEntry(
                cycle_id=cycle.id, at=now, actor=SYSTEM_ACTOR, action="document", trigger=None, strand=None,
                from_state=None, to_state=None, comment=None,
                data={"document_id": row.id, "spec": row.spec, "version": row.version, **anchored_hashes(row)}))
            made.append(row)
        for spec_id in dict.fromkeys(item.spec for item in prepared):
            self._notify(session, cycle, definition, definition.documents[spec_id], event, made, now)
        return made

    def generate(self, session: Session, event: OutboxEvent, now: dt.datetime) -> list[Document]:
        """Prepare and apply in one go, within the caller's session."""
        return self.apply(session, event, now, self._prepare_in(session, event))

    def _notify(self, session: Session, cycle: Cycle, definition: Definition, spec: DocumentSpec,
                event: OutboxEvent, made: list[Document], now: dt.datetime) -> None:
        """Send the document to the next board: the exempt version only to those entitled to it."""
        source = definition.stages[event.payload["from_stage"]]
        dest = definition.stages[event.payload["to_stage"]]
        ours = {d.version: d for d in made if d.spec == spec.id}
        domain = "strategy-cycle.invalid"
        for person in resolve(definition, dest, spec.notify):
            version = "exempt" if "exempt" in ours and entitled_to_exempt(definition, source, person) else "public"
            document = ours[version]
            key = f"document:{document.id}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            who = definition.people[person]
            subject = one_line(f"{spec.title}: {document.title.split(': ', 1)[-1]} ({cycle.key})")
            text = (f"Dear {who.title},\n\n{document.title} for the {definition.title} is attached "
                    f"({version} version, PDF). The same record is kept as HTML and Word; its SHA-256 fingerprints "
                    f"are:\n  PDF  {document.pdf_sha256}\n  HTML {document.html_sha256}\n  Word {document.docx_sha256}\n")
            html = "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>") + "</p>"
            session.add(Mail(key=key, cycle_id=cycle.id, kind="document", person=person, recipient=who.email,
                             subject=subject, text_body=text, html_body=html,
                             attachments={"documents": [{"id": document.id, "format": "pdf"}]},
                             message_id=message_id(key, domain), dated=event.created_at, status="pending",
                             attempts=0, next_attempt_at=now, created_at=now))

    def content(self, document: Document, fmt: str) -> bytes:
        return self.store.get(getattr(document, f"{fmt}_sha256"))


def anchored_hashes(document: Document) -> dict[str, str]:
    """What a document's history row records of it, and `documents verify` compares."""
    return {f"{fmt}_sha256": getattr(document, f"{fmt}_sha256") for fmt in FORMATS}


def verify(store: PaperStore, documents: list[Document]) -> list[tuple[Document, str, str]]:
    """Re-hash every stored file; returns (document, format, what is wrong) for each that changed."""
    problems: list[tuple[Document, str, str]] = []
    for document in documents:
        for fmt in FORMATS:
            expected = getattr(document, f"{fmt}_sha256")
            path = store.path_for(expected)
            if not path.exists():
                problems.append((document, fmt, "the file is missing"))
                continue
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            if actual != expected:
                problems.append((document, fmt, f"the file now hashes to {actual}"))
    return problems
