"""`cycle reminders ...` and `cycle mail ...`: what reminders a cycle will send, and what was sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from sqlalchemy import select

from workflow.cli import actor_option, app_for, emit_json, json_option, main, out, parse_date, plain
from workflow.clock import at_local, local_date
from workflow.errors import InvalidInput, NotFound
from workflow.models import Cycle, Mail
from workflow.repair import check_officer

from . import delivery, reminders


@main.group(name="reminders")
def reminders_group() -> None:
    """Reminders a cycle will send."""


@reminders_group.command()
@click.argument("cycle")
@click.option("--year", type=int, help="With a definition instead of a cycle: the year it would run.")
@click.option("--until", "until", help="Only reminders up to this date (YYYY-MM-DD).")
@click.option("--show", "show", type=int, metavar="N", help="Show reminder number N in full.")
@json_option
@click.pass_context
def preview(ctx: click.Context, cycle: str, year: int | None, until: str | None, show: int | None,
            as_json: bool) -> None:
    """Every reminder CYCLE will send from now on, if each stage completes on its due date.

    CYCLE is a cycle (community_safety_strategy-2021), or a definition with --year to
    preview a cycle before it starts.
    """
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        found = session.scalars(select(Cycle).where(Cycle.key == cycle)).first()
        if found is not None:
            definition = engine.catalog.snapshot(session, found.definition_id, found.definition_version)
            key, cycle_year, stage, entered = found.key, found.year, found.state, engine.clock.now()
            if found.status != "active":
                raise InvalidInput(f"cycle {found.key} is complete: it will send no more reminders")
        else:
            if year is None:
                raise InvalidInput(f"there is no cycle '{cycle}'; to preview a definition, give --year")
            definition = engine.catalog.load(cycle)
            key, cycle_year, stage = f"{definition.id}-{year}", year, definition.initial
            entered = at_local(dt.date(year, definition.starts_in, 1), 9)
    templates = engine.catalog.templates_for_snapshot(definition)
    planned = reminders.preview(definition, key, cycle_year, stage, entered, templates, until=parse_date(until))
    if show is not None:
        if not 1 <= show <= len(planned):
            raise InvalidInput(f"there are {len(planned)} reminders; choose --show 1 to {len(planned)}")
        row, context = planned[show - 1]
        rule = definition.reminders[row.rule]
        subject, text, _html = reminders.Renderer(templates).render(rule, context)
        out.print(f"[bold]To:[/] {plain(definition.people[row.person].title)} <{row.email}>")
        out.print(f"[bold]Date:[/] {row.when.astimezone(dt.UTC):%a %d %b %Y %H:%M} UTC")
        out.print(f"[bold]Subject:[/] {plain(subject)}\n")
        out.print(plain(text))
        return
    if as_json:
        emit_json([{"n": i, "when": row.when.isoformat(), "person": row.person, "email": row.email,
                    "subject": row.subject, "stage": row.stage, "rule": row.rule, "kind": row.kind}
                   for i, (row, _) in enumerate(planned, 1)])
        return
    table = Table(title=f"{len(planned)} reminders for {key}", title_justify="left")
    for col in ("#", "when", "to", "subject"):
        table.add_column(col)
    for i, (row, _) in enumerate(planned, 1):
        table.add_row(str(i), f"{local_date(row.when):%a %d %b %Y}", row.email, plain(row.subject))
    out.print(table)


@main.group()
def mail() -> None:
    """Email the workers have queued and sent."""


def _row(item: Mail) -> dict[str, Any]:
    return {"id": item.id, "dated": item.dated.isoformat(), "to": item.recipient, "person": item.person,
            "subject": item.subject, "kind": item.kind, "status": item.status, "attempts": item.attempts,
            "next_attempt_at": item.next_attempt_at.isoformat(),
            "sent_at": item.sent_at.isoformat() if item.sent_at else None, "last_error": item.last_error}


@mail.command(name="list")
@click.argument("cycle", required=False)
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "retrying", "failed", "uncertain"]))
@json_option
@click.pass_context
def mail_list(ctx: click.Context, cycle: str | None, status: str | None, as_json: bool) -> None:
    """Queued and sent email, newest last; CYCLE and --status narrow it."""
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        query = select(Mail).order_by(Mail.dated, Mail.id)
        if cycle:
            found = session.scalars(select(Cycle).where(Cycle.key == cycle)).first()
            if found is None:
                raise NotFound(f"there is no cycle '{cycle}'")
            query = query.where(Mail.cycle_id == found.id)
        if status:
            query = query.where(Mail.status == status)
        rows = [_row(m) for m in session.scalars(query)]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} emails", title_justify="left")
    for col in ("id", "dated", "to", "subject", "status", "tries", "problem"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["dated"][:10], r["to"], plain(r["subject"]), r["status"], str(r["attempts"]),
                      plain(r["last_error"] or ""))
    out.print(table)


@mail.command(name="show")
@click.argument("mail_id", type=int)
@json_option
@click.pass_context
def mail_show(ctx: click.Context, mail_id: int, as_json: bool) -> None:
    """One email: headers, status and the text as sent."""
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        item = session.get(Mail, mail_id)
        if item is None:
            raise NotFound(f"there is no mail {mail_id}")
        row = _row(item) | {"text": item.text_body, "attachments": item.attachments}
    if as_json:
        emit_json(row)
        return
    for label in ("to", "subject", "dated", "status", "attempts", "sent_at", "last_error"):
        if row[label] is not None:
            out.print(f"[bold]{label}:[/] {plain(str(row[label]))}")
    papers = len(row["attachments"].get("papers", []))
    invite = " and a calendar invite" if row["attachments"].get("invite") else ""
    out.print(f"[bold]attachments:[/] {papers} paper(s){invite}\n")
    out.print(plain(row["text"]))


@mail.command(name="retry")
@click.argument("mail_id", type=int)
@actor_option
@click.pass_context
def mail_retry(ctx: click.Context, mail_id: int, actor: str) -> None:
    """Queue a failed or uncertain email again."""
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        item = session.get(Mail, mail_id)
        if item is None:
            raise NotFound(f"there is no mail {mail_id}")
        cycle = session.get(Cycle, item.cycle_id)
        assert cycle is not None
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
    check_officer(definition, actor, "mail")
    row = delivery.retry(engine, mail_id)
    out.print(f"Mail {row.id} to {row.recipient} is queued again.")


@main.group()
def documents() -> None:
    """Sign-off documents the workers generated when gates passed."""


def _documents_store(ctx: click.Context) -> Any:
    from workflow.storage import PaperStore

    return PaperStore(app_for(ctx).settings.documents_dir)


def _document_row(item: Any) -> dict[str, Any]:
    return {"id": item.id, "title": item.title, "spec": item.spec, "version": item.version, "stage": item.stage,
            "definition_version": item.definition_version, "template": item.template,
            "template_sha256": item.template_sha256, "html_sha256": item.html_sha256,
            "pdf_sha256": item.pdf_sha256, "docx_sha256": item.docx_sha256, "created_at": item.created_at.isoformat()}


@documents.command(name="list")
@click.argument("cycle")
@json_option
@click.pass_context
def documents_list(ctx: click.Context, cycle: str, as_json: bool) -> None:
    """The documents of CYCLE."""
    from workflow.models import Document

    engine = app_for(ctx).engine
    with engine.sessions() as session:
        found = session.scalars(select(Cycle).where(Cycle.key == cycle)).first()
        if found is None:
            raise NotFound(f"there is no cycle '{cycle}'")
        rows = [_document_row(d) for d in session.scalars(select(Document).where(Document.cycle_id == found.id)
                                                          .order_by(Document.id))]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} documents for {cycle}", title_justify="left")
    for col in ("id", "title", "version", "made", "pdf sha256"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), plain(r["title"]), r["version"], r["created_at"][:10], r["pdf_sha256"][:16] + "…")
    out.print(table)


def _document(ctx: click.Context, document_id: int) -> Any:
    from workflow.models import Document

    with app_for(ctx).engine.sessions() as session:
        found = session.get(Document, document_id)
        if found is None:
            raise NotFound(f"there is no document {document_id}")
        session.expunge(found)
        return found


@documents.command(name="show")
@click.argument("document_id", type=int)
@json_option
@click.pass_context
def documents_show(ctx: click.Context, document_id: int, as_json: bool) -> None:
    """One document's record: what made it and its fingerprints."""
    row = _document_row(_document(ctx, document_id))
    if as_json:
        emit_json(row)
        return
    for label, value in row.items():
        out.print(f"[bold]{label}:[/] {plain(str(value))}")


@documents.command(name="export")
@click.argument("document_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["pdf", "docx", "html"]), default="pdf", show_default=True)
@click.option("--out", "target", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def documents_export(ctx: click.Context, document_id: int, fmt: str, target: Path) -> None:
    """Write a document to a file, after checking it still matches its fingerprint."""
    import hashlib

    item = _document(ctx, document_id)
    expected = getattr(item, f"{fmt}_sha256")
    content = _documents_store(ctx).get(expected)
    if hashlib.sha256(content).hexdigest() != expected:
        raise InvalidInput(f"document {document_id} ({fmt}) no longer matches its SHA-256: it was altered; "
                           "run 'cycle documents verify'")
    target.write_bytes(content)
    out.print(f"Wrote {target} ({len(content)} bytes, sha256 {expected}).")


@documents.command(name="verify")
@click.pass_context
def documents_verify(ctx: click.Context) -> None:
    """Re-hash every stored document and report any that changed (exit 1 if any did)."""
    from workflow.models import Document

    from .documents import verify

    with app_for(ctx).engine.sessions() as session:
        rows = list(session.scalars(select(Document).order_by(Document.id)))
    problems = verify(_documents_store(ctx), rows)
    for document, fmt, what in problems:
        out.print(f"[red]✗[/] document {document.id} ({plain(document.title)}), {fmt}: {plain(what)}")
    if problems:
        raise DocumentsAltered(f"{len(problems)} stored file(s) do not match their record")
    out.print(f"[green]✓[/] all {len(rows)} documents ({len(rows) * 3} files) match their SHA-256")


class DocumentsAltered(InvalidInput):
    """A stored document no longer matches the hash recorded when it was made."""

    exit_code = 1
