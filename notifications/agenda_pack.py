"""A board meeting's agenda pack, as a council issues it: one tagged PDF, and the agenda in Word.

Laid out like the pack a Safer MK member receives: the front sheet (when, where, how to watch,
the committee manager's contact), the membership by voting members, chair, advisors, observers
and officers, the numbered agenda with each report's page range, the notice of intention to meet
in private with its Schedule 12A paragraph, the previous meeting's minutes, then each report with
running page numbers (`notifications.pack_pages`).

Two packs: the public one, for every member, holds the public items' public papers and names the
private items without any exempt paper's title or text; the private one (`private=True`), for
those entitled, holds the exempt items and every exempt paper with its own page numbers.

How the page ranges are found: the template is rendered with WeasyPrint, the pages of the front
part and the anchors around the minutes are read from the laid-out document, the numbers are put
in the agenda and it is laid out again, until the numbers stand (twice, or three times when a
number's width moves a line to the next page). Reports start on the page after the front part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from workflow.commands.attach import SCHEDULE_12A
from workflow.definition.formatting import long_date, written_date
from workflow.definition.templating import make_environment, render_bounded
from workflow.errors import RoleMissing
from workflow.reads.agenda import Agenda, AgendaItem, AgendaMember, AgendaPaper
from workflow.reads.minutes import Minutes, minutes_of, previous_meeting, public_minutes_of
from workflow.store.unit import Store

from .minutes_document import minutes_fragment
from .pack_pages import assemble, page_count
from .pdf import html_document

TEMPLATE = "agenda_pack.html.j2"
PDF = "application/pdf"
PLACEHOLDER = 999
"""A page number as wide as a real one, for the first layout."""
MAX_LAYOUTS = 4

PaperSource = Callable[[AgendaPaper], bytes | None]
"""Reads a paper's file (None: not stored), e.g. from the paper store by the paper's SHA-256."""


@dataclass(frozen=True)
class Pack:
    """One rendered pack: the PDF, the HTML of its front part, the Word agenda, and where each report starts."""

    private: bool
    pdf: bytes
    html: bytes
    docx: bytes
    item_pages: dict[int, tuple[int, int]] = field(default_factory=dict)  # item number: first and last page
    listed: tuple[str, ...] = ()  # papers named in the agenda but not in the PDF (Word, unreadable)


@dataclass(frozen=True)
class _Report:
    item: AgendaItem
    paper: AgendaPaper
    content: bytes | None
    pages: int | None  # None: not appended (not a readable PDF)


def papers_in(item: AgendaItem, private: bool) -> tuple[AgendaPaper, ...]:
    """The papers of `item` a pack carries: the public pack an open item's public papers only; the private
    pack every paper of an exempt item and the exempt papers (appendices) of an open one."""
    if private:
        return item.papers if item.exempt else tuple(p for p in item.papers if p.exempt_paragraph is not None)
    return () if item.exempt else tuple(p for p in item.papers if p.exempt_paragraph is None)


def items_in(agenda: Agenda, private: bool) -> tuple[AgendaItem, ...]:
    """The items a pack lists: all of them in the public pack (the private ones by their titles alone);
    in the private pack the private part and the open items with exempt appendices."""
    if not private:
        return agenda.items
    return tuple(i for i in agenda.public_items if papers_in(i, True) or i.standard == "exclusion") \
        + agenda.private_items


def paragraphs_text(paragraphs: Sequence[int]) -> str:
    """'Paragraph 2 (Information which is likely to reveal the identity of an individual)'; several joined."""
    named = [f"{n} ({SCHEDULE_12A.get(n, 'exempt information')})" for n in paragraphs]
    if not named:
        return ""
    if len(named) == 1:
        return f"Paragraph {named[0]}"
    return f"Paragraphs {', '.join(named[:-1])} and {named[-1]}"


def pages_text(first: int, last: int) -> str:
    return f"Page {first}" if first == last else f"Pages {first} to {last}"


def meeting_time(start: dt.time | None) -> str:
    """'2.00 pm', as the front sheet prints it."""
    if start is None:
        return ""
    return f"{start.hour % 12 or 12}.{start.minute:02d} {'am' if start.hour < 12 else 'pm'}"


def membership(agenda: Agenda) -> list[dict[str, Any]]:
    """The front sheet's numbered groups, the empty ones left out."""
    group = agenda.membership

    def people(members: Sequence[AgendaMember]) -> list[dict[str, str]]:
        return [{"name": m.name, "title": m.title} for m in members]

    groups = [(f"Representatives of the {agenda.board_name} with voting rights", people(group.voting)),
              ("Chair" if group.chair_votes else "Non-Voting Chair", people([group.chair] if group.chair else [])),
              ("Non-Voting Advisors", people(group.advisors)), ("Observers", people(group.observers)),
              ("Officers", people(group.officers))]
    shown = [(heading, members) for heading, members in groups if members]
    return [{"heading": f"{n}. {heading}:", "members": members} for n, (heading, members) in enumerate(shown, 1)]


def _reports(agenda: Agenda, private: bool, read: PaperSource) -> list[_Report]:
    found = []
    for item in items_in(agenda, private):
        for paper in papers_in(item, private):
            content = read(paper)
            pages = page_count(content) if content is not None and paper.media_type == PDF else None
            found.append(_Report(item, paper, content, pages))
    return found


def _paper_note(paper: AgendaPaper, content: bytes | None) -> str:
    if content is None:
        return "to follow"
    if paper.media_type == PDF:
        return "sent with this pack as a separate file: it could not be read as a PDF"
    if "word" in paper.media_type or paper.file_name.lower().endswith((".docx", ".doc")):
        return "a Word document, sent with this pack as a separate file; its pages are not numbered here"
    return f"sent with this pack as a separate file ({paper.file_name})"


def layout_pages(reports: Sequence[_Report], front_pages: int) -> dict[int, tuple[int, int]]:
    """Paper id: its first and last page in the pack, for the reports appended after `front_pages`."""
    found: dict[int, tuple[int, int]] = {}
    page = front_pages + 1
    for report in reports:
        if report.pages:
            found[report.paper.id] = (page, page + report.pages - 1)
            page += report.pages
    return found


def context(agenda: Agenda, private: bool, reports: Sequence[_Report], front_pages: int,
            minutes: tuple[int, int] | None, minutes_html: str | None, agenda_url: str = "") -> dict[str, Any]:
    paper_pages = layout_pages(reports, front_pages)
    items = []
    private_numbers = [i.number for i in agenda.private_items if i.standard != "exclusion"]
    for item in items_in(agenda, private):
        ours = [r for r in reports if r.item.key == item.key]
        spans = [paper_pages[r.paper.id] for r in ours if r.paper.id in paper_pages]
        if item.standard == "minutes" and minutes is not None:
            spans.append(minutes)
        withheld = ""
        if not private and item.exempt and item.papers:
            withheld = (f"Not for publication by virtue of {paragraphs_text([item.exempt_paragraph or 0])}: its papers are "
                        "sent to those entitled in the private pack.")
        elif not private and any(p.exempt_paragraph is not None for p in item.papers):
            withheld = "An exempt appendix is sent to those entitled in the private pack."
        notice = ""
        if not private and item.standard == "exclusion" and agenda.exempt_paragraphs:
            notice = paragraphs_text(agenda.exempt_paragraphs or tuple(
                i.exempt_paragraph for i in agenda.private_items if i.exempt_paragraph is not None))
        numbers = [str(n) for n in private_numbers]
        items.append({
            "number": item.number, "title": item.title, "description": item.description, "purpose": item.purpose,
            "author": ", ".join(part for part in (item.author_name, item.author_title) if part),
            "pages": pages_text(min(s[0] for s in spans), max(s[1] for s in spans)) if spans else "",
            "papers": [{"title": r.paper.title,
                        "pages": pages_text(*paper_pages[r.paper.id]) if r.paper.id in paper_pages else "",
                        "note": "" if r.paper.id in paper_pages else _paper_note(r.paper, r.content)} for r in ours],
            "withheld": withheld, "notice": notice, "private_count": len(private_numbers),
            "private_numbers": ("Item " if len(numbers) == 1 else "Items ")
            + (" and ".join([", ".join(numbers[:-1]), numbers[-1]]) if len(numbers) > 1 else "".join(numbers)),
        })
    issued = agenda.issued
    return {
        "pack": {"private": private, "paragraphs_text": paragraphs_text(agenda.exempt_paragraphs),
                 "title": f"{agenda.board_name}: agenda pack for {long_date(agenda.day)}"
                          + (" (private part)" if private else "")},
        "meeting": {"board": agenda.board_name, "body": agenda.board_name, "time": meeting_time(agenda.start),
                    "day": long_date(agenda.day), "venue": agenda.venue, "remote_link": agenda.remote_link,
                    "manager_name": agenda.manager_name, "manager_email": agenda.manager_email,
                    "agenda_url": agenda_url,
                    "issued": f"Issued on {written_date(issued.issued_at.date())} (issue {issued.version})"
                              if issued else ""},
        "membership": membership(agenda),
        "items": items,
        "minutes": Markup(minutes_html) if minutes_html else "",  # the minutes renderer's own HTML, escaped there
    }


def render_pack(agenda: Agenda, *, private: bool, read: PaperSource, templates: Path, created: dt.datetime,
                minutes_html: str | None = None, agenda_url: str = "") -> Pack:
    """Render the public (or private) pack of `agenda`: one tagged PDF with running page numbers."""
    env = make_environment(templates)
    reports = _reports(agenda, private, read)
    front_pages, minutes = PLACEHOLDER, (PLACEHOLDER, PLACEHOLDER) if minutes_html else None
    for _ in range(MAX_LAYOUTS):
        ctx = context(agenda, private, reports, front_pages, minutes, minutes_html, agenda_url)
        html = render_bounded(env, TEMPLATE, ctx)
        document = html_document(html).render(pdf_variant="pdf/ua-1")
        found_pages = len(document.pages)
        found_minutes = _anchored(document.pages, "minutes", "minutes-end") if minutes_html else None
        if (found_pages, found_minutes) == (front_pages, minutes):
            break
        front_pages, minutes = found_pages, found_minutes
    front = bytes(document.write_pdf(pdf_variant="pdf/ua-1"))
    appended = [r for r in reports if r.pages]
    pdf = assemble(front, [r.content for r in appended if r.content is not None])
    word_html = render_bounded(env, TEMPLATE, {**ctx, "minutes": ""})
    docx = _word(word_html, ctx["pack"]["title"], agenda.board_name, created)
    item_pages = {item["number"]: _span(item["pages"]) for item in ctx["items"] if item["pages"]}
    listed = tuple(r.paper.title for r in reports if not r.pages)
    return Pack(private, pdf, html.encode("utf-8"), docx, item_pages, listed)


def _anchored(pages: Sequence[Any], start: str, end: str) -> tuple[int, int] | None:
    first = next((n for n, page in enumerate(pages, 1) if start in page.anchors), None)
    last = next((n for n, page in enumerate(pages, 1) if end in page.anchors), None)
    return (first, last or first) if first is not None else None


def _span(text: str) -> tuple[int, int]:
    numbers = [int(word) for word in text.split() if word.isdigit()]
    return numbers[0], numbers[-1]


def _word(html: str, title: str, header: str, created: dt.datetime) -> bytes:
    from .word import to_docx  # python-docx loads only for document work

    return to_docx(html, title=title, header=header, created=created)


def previous_minutes(store: Store, board: str, day: dt.date, *, private: bool,
                     viewer: str | None = None) -> Minutes | None:
    """The minutes of the board's meeting before `day`, approved or the draft for approval at this meeting, as a
    pack carries them: their public part in the public pack; in the private pack the private minutes `viewer`
    (who receives it) is entitled to, and nothing else (None when there are none).

    None too when the board's previous meeting has no draft of its minutes."""
    before = previous_meeting(store, board, day)
    if before is None:
        return None
    found: Minutes | None = None
    if not private:
        found = public_minutes_of(store, board, before)
    elif viewer:
        try:
            found = minutes_of(store, board, before, viewer)
        except RoleMissing:
            return None
        found = replace(found, public=(), exclusion=None) if found.private else None
    return None if found is None or found.status == "not drafted" else found


def previous_minutes_html(store: Store, board: str, day: dt.date, *, private: bool,
                          viewer: str | None = None) -> str | None:
    """`previous_minutes` as an HTML fragment for the pack (None: the pack prints no minutes and the agenda's
    minutes item no page range)."""
    found = previous_minutes(store, board, day, private=private, viewer=viewer)
    return minutes_fragment(found) if found is not None else None
