"""On AgendaIssued: the packs are rendered, kept as documents, and sent to each member of the board.

Every member gets the public pack; a member entitled to private items (the builder's rule, `Drafted.entitled`:
the board's voting members, chair and officers, and the holders of the stage's owner role) gets, in the same
email, the private pack of the items they may see. Members who may see different private items get different
private packs; nobody off the board gets either. Each email carries the meeting's invitation with its UID and
current SEQUENCE, so the calendar entry a reminder made is updated with the pack, and Word or other papers not
in the PDF as their own files. One email per member per issued version (`Mail.key`), through the outbox and
the delivery workers like every other email.

The packs are rendered in `prepare` (seconds of WeasyPrint, no write lock held) and recorded in the handler's
transaction: `documents` rows (spec `agenda_pack`, version `public` or `exempt`, `exempt-2` ...), each with
the SHA-256 of its HTML, PDF and Word files and a history row anchoring them in the cycle's hash chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

import definitions
from workflow.commands.agenda import ISSUED
from workflow.commands.agenda_build import Built, build, present
from workflow.definition.formatting import long_date
from workflow.definition.templating import make_environment
from workflow.engine import Engine
from workflow.reads.agenda import Agenda, AgendaPaper
from workflow.store.models import Cycle, Document, Mail, OutboxEvent, Paper
from workflow.store.paper_store import PaperStore
from workflow.store.unit import cycle_for_writing
from workflow.time.actuals import changes

from .agenda_pack import TEMPLATE, Pack, previous_minutes, previous_minutes_html, render_pack
from .calendar_invite import local_zone, meeting_event
from .documents import anchored_document
from .links import MY_WORK, Links, context_links, with_links
from .reminders import inline_css, message_id, one_line

EVENT = ISSUED
SPEC = "agenda_pack"
KIND = "agenda"
NOTICE = ("agenda_issued.subject.j2", "agenda_issued.txt.j2", "agenda_issued.html.j2")
SHIPPED_TEMPLATES = Path(definitions.__file__).parent / "templates"


@dataclass(frozen=True)
class PreparedPack:
    """One pack rendered and stored: its version, title, file hashes, who receives it (person ids), and the
    papers it names but does not hold (sent as their own files)."""

    version: str
    title: str
    hashes: dict[str, str]
    readers: tuple[str, ...]
    separate: tuple[int, ...]


def templates_for(engine: Engine, built: Built | None = None) -> Path:
    """The home definition's templates (else the definitions folder's) where they include the pack's and its
    email's, else the shipped ones."""
    folder = engine.catalog.templates_for_snapshot(built.meeting.home) if built else engine.catalog.templates_dir
    return folder if all((folder / name).is_file() for name in (TEMPLATE, *NOTICE)) else SHIPPED_TEMPLATES


def open_part(agenda: Agenda) -> Agenda:
    """The agenda with no exempt paper left among its open items: exempt material reaches a member only
    through the private items they are entitled to."""
    return replace(agenda, public_items=tuple(
        replace(item, papers=tuple(p for p in item.papers if p.exempt_paragraph is None))
        for item in agenda.public_items))


def board_stage(built: Built, cycle: Cycle) -> str:
    """The stage a pack is recorded against: the event's cycle's stage signed off at this meeting (else any stage
    of the board). An exempt pack is then served only to those its emails went to, entitled to that stage's exempt
    papers, and to the board's committee manager (`workflow.reads.papers.may_see_document`), never to everyone
    entitled to the stage: it may hold other cycles' exempt papers, and members get different private packs."""
    for attending in built.meeting.cycles:
        if attending.cycle.id == cycle.id and attending.stages:
            return attending.stages[0].id
    board = built.meeting.board
    return next((s.id for s in built.meeting.home.stages.values() if s.board == board), "")


class AgendaPacks:
    def __init__(self, engine: Engine, store: PaperStore, links: Links | None = None, domain: str = "") -> None:
        self.engine = engine
        self.store = store
        self.links = links or Links()
        self.domain = domain or "strategy-cycle.invalid"

    def _read(self, paper: AgendaPaper) -> bytes | None:
        with self.engine.sessions() as session:
            row = session.get(Paper, paper.id)
            sha = row.sha256 if row is not None else None
        return self.engine.papers.get(sha) if sha else None

    def prepare(self, event_id: int) -> list[PreparedPack]:
        with self.engine.sessions() as session:
            event = session.get(OutboxEvent, event_id)
            if event is None:
                return []
            board, day = event.payload["board"], dt.date.fromisoformat(event.payload["day"])
            built = build(session, self.engine, board, day)
        home = built.meeting.home
        members = [person for person, _ in home.boards[board].members]
        folder = templates_for(self.engine, built)
        created = event.created_at
        public = self._render(open_part(present(built, None)), False, folder, created)
        prepared = [self._keep(public, "public", tuple(members))]
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
        for person in members:
            seen = present(built, home.people[person].email)
            minutes = previous_minutes(self.engine, board, day, private=True, viewer=person)
            keys = (tuple(item.key for item in seen.private_items),
                    tuple(m.key for m in minutes.private) if minutes else ())
            if any(keys):  # the private items and private minutes they may see: one pack for each such set
                groups.setdefault(keys, []).append(person)
        for n, readers in enumerate(groups.values(), 1):
            seen = open_part(present(built, home.people[readers[0]].email))
            pack = self._render(seen, True, folder, created, readers[0])
            prepared.append(self._keep(pack, "exempt" if n == 1 else f"exempt-{n}", tuple(readers)))
        return prepared

    def _render(self, agenda: Agenda, private: bool, folder: Path, created: dt.datetime,
                viewer: str | None = None) -> tuple[Agenda, Pack]:
        return agenda, self.render(agenda, private, created, folder, viewer)

    def render(self, agenda: Agenda, private: bool, created: dt.datetime, folder: Path | None = None,
               viewer: str | None = None) -> Pack:
        """The public (or private) pack of `agenda`, with the previous meeting's minutes when there are any: in the
        private pack the private minutes `viewer` (who receives it) is entitled to."""
        minutes = previous_minutes_html(self.engine, agenda.board_id, agenda.day, private=private, viewer=viewer)
        return render_pack(open_part(agenda), private=private, read=self._read,
                           templates=folder or templates_for(self.engine), created=created, minutes_html=minutes)

    def _keep(self, rendered: tuple[Agenda, Pack], version: str, readers: tuple[str, ...]) -> PreparedPack:
        agenda, pack = rendered
        hashes = {fmt: self.store.put(content) for fmt, content in
                  (("html", pack.html), ("pdf", pack.pdf), ("docx", pack.docx))}
        issue = f" (issue {agenda.issued.version})" if agenda.issued else ""
        part = ", private part" if pack.private else ""
        title = f"Agenda pack: {agenda.board_name}, {long_date(agenda.day)}{part}{issue}"
        separate = tuple(p.id for item in agenda.items for p in item.papers if p.title in pack.listed
                         and (pack.private or p.exempt_paragraph is None)
                         and (item.exempt == pack.private or (pack.private and p.exempt_paragraph is not None)))
        return PreparedPack(version, title[:300], hashes, readers, separate)

    def apply(self, session: Session, event: OutboxEvent, now: dt.datetime, prepared: list[PreparedPack]) -> None:
        """Record the packs and queue one email per member, in the handler's transaction."""
        cycle = cycle_for_writing(session, event.cycle_id)  # before the rows that refer to it (CYCLE_LOCK)
        if cycle is None or not prepared:
            return
        board, day = event.payload["board"], dt.date.fromisoformat(event.payload["day"])
        built = build(session, self.engine, board, day)
        template = hashlib.sha256((templates_for(self.engine, built) / TEMPLATE).read_bytes()).hexdigest()
        stage = board_stage(built, cycle)
        rows = {item.version: self._record(session, cycle, event, item, stage, template, now) for item in prepared}
        self._send(session, cycle, built, event, prepared, rows, now)

    @staticmethod
    def _record(session: Session, cycle: Cycle, event: OutboxEvent, item: PreparedPack, stage: str,
                template_sha256: str, now: dt.datetime) -> Document:
        existing = session.scalars(select(Document).where(Document.event_id == event.id, Document.spec == SPEC,
                                                          Document.version == item.version)).first()
        if existing is not None:
            return existing
        return anchored_document(session, Document(
            cycle_id=cycle.id, event_id=event.id, spec=SPEC, version=item.version, title=item.title, stage=stage,
            definition_version=cycle.definition_version, template=TEMPLATE, template_sha256=template_sha256,
            html_sha256=item.hashes["html"], pdf_sha256=item.hashes["pdf"], docx_sha256=item.hashes["docx"],
            created_at=now))

    def _send(self, session: Session, cycle: Cycle, built: Built, event: OutboxEvent,
              prepared: list[PreparedPack], rows: dict[str, Document], now: dt.datetime) -> None:
        home, board = built.meeting.home, event.payload["board"]
        version = int(event.payload["version"])
        env = make_environment(templates_for(self.engine, built))
        invite = self._invite(session, cycle, built, version, now)
        public = prepared[0]
        for person in public.readers:
            key = f"{KIND}:{board}:{event.payload['day']}:v{version}:{person}"
            if session.scalars(select(Mail.id).where(Mail.key == key)).first() is not None:
                continue
            private = next((p for p in prepared[1:] if person in p.readers), None)
            ours = [public] + ([private] if private else [])
            separate = [paper for pack in ours for paper in pack.separate]
            titles = [t for t in (session.get(Paper, i) for i in separate) if t is not None]
            ctx = self._context(built, person, version, private is not None, [t.title for t in titles])
            subject, text, html = (env.get_template(name).render(**ctx) for name in NOTICE)
            text, html = with_links(text, html, [(MY_WORK, ctx["links"]["my_work"])])
            session.add(Mail(key=key, cycle_id=cycle.id, kind=KIND, person=person,
                             recipient=home.people[person].email, subject=one_line(subject), text_body=text,
                             html_body=inline_css(html),
                             attachments={"documents": [{"id": rows[p.version].id, "format": "pdf"} for p in ours],
                                          "papers": separate, "invite": invite},
                             message_id=message_id(key, self.domain), dated=now, status="pending", attempts=0,
                             next_attempt_at=now, created_at=now))

    def _context(self, built: Built, person: str, version: int, private: bool, separate: list[str]) -> dict[str, Any]:
        home, meeting = built.meeting.home, built.meeting.meeting
        who = home.people[person]
        manager = home.people.get(home.boards[built.meeting.board].organiser or "")
        start = meeting.start
        return {"recipient": {"name": who.name, "title": who.title},
                "meeting": {"title": meeting.title, "board": home.boards[built.meeting.board].name,
                            "day": long_date(built.meeting.day),
                            "time": f"{start.hour % 12 or 12}.{start.minute:02d} {'am' if start.hour < 12 else 'pm'}"
                            if start else "", "venue": meeting.venue or "", "remote_link": meeting.remote_link or "",
                            "manager": f"{manager.name or manager.title}, committee manager" if manager else ""},
                "pack": {"version": version, "private": private, "separate": separate},
                "links": context_links(self.links)}

    @staticmethod
    def _invite(session: Session, cycle: Cycle, built: Built, version: int, now: dt.datetime) -> str:
        """The meeting's invitation as the cycle's reminders sent it (same UID, current SEQUENCE), saying the
        pack is attached: an update of the entry already in the member's calendar."""
        meeting, day = built.meeting.meeting, built.meeting.day
        change = changes(session, cycle.id).get(meeting.id)
        event = meeting_event(built.meeting.home, cycle.key, meeting, day, now,
                              sequence=change.sequence if change else 0)
        event["description"] = f"{event['description']}\nAgenda pack issued (issue {version}): attached to the email."
        calendar = Calendar()
        calendar.add("prodid", "-//strategy-cycle//board meetings//EN")
        calendar.add("version", "2.0")
        calendar.add("method", "REQUEST")
        if meeting.start is not None:
            calendar.add_component(local_zone(day, day))
        calendar.add_component(event)
        return str(calendar.to_ical().decode("utf-8"))
