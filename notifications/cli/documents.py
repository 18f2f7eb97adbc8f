"""`cycle documents ...`: the sign-off documents the workers generated, listed, shown, exported, verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table
from sqlalchemy import select

from notifications.disclosure import document_for
from workflow.cli.base import (
    ROW_ID,
    app_for,
    emit_json,
    err,
    json_option,
    main,
    out,
    plain,
    reader_option,
    withheld_note,
)
from workflow.errors import InvalidInput, NotFound
from workflow.reads.erasure import erased_hashes, require_kept
from workflow.store.models import Cycle


@main.group()
def documents() -> None:
    """Sign-off documents the workers generated when gates passed."""


def _documents_store(ctx: click.Context) -> Any:
    return app_for(ctx).documents()


def _document_row(item: Any, readable: bool = True) -> dict[str, Any]:
    hashes = {f"{fmt}_sha256": getattr(item, f"{fmt}_sha256") if readable else None for fmt in ("html", "pdf", "docx")}
    return {"id": item.id, "title": item.title, "spec": item.spec, "version": item.version, "stage": item.stage,
            "readable": readable, "definition_version": item.definition_version, "template": item.template,
            "template_sha256": item.template_sha256, **hashes, "created_at": item.created_at.isoformat()}


def _readable_rows(ctx: click.Context, rows: list[Any], reader: str | None) -> list[dict[str, Any]]:
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        return [_document_row(d, document_for(engine, session, d, reader).id == d.id) for d in rows]


@documents.command(name="list")
@click.argument("cycle")
@reader_option
@json_option
@click.pass_context
def documents_list(ctx: click.Context, cycle: str, reader: str | None, as_json: bool) -> None:
    """The documents of CYCLE; an exempt version is listed, and readable only by those entitled to it."""
    from workflow.store.models import Document

    engine = app_for(ctx).engine
    with engine.sessions() as session:
        found = session.scalars(select(Cycle).where(Cycle.key == cycle)).first()
        if found is None:
            raise NotFound(f"there is no cycle '{cycle}'")
        made = list(session.scalars(select(Document).where(Document.cycle_id == found.id).order_by(Document.id)))
    rows = _readable_rows(ctx, made, reader)
    if as_json:
        emit_json(rows)
        return
    withheld_note(sum(1 for r in rows if not r["readable"]), reader, "exempt version", "exempt versions")
    table = Table(title=f"{len(rows)} documents for {cycle}", title_justify="left")
    for col in ("id", "title", "version", "made", "pdf sha256"):
        table.add_column(col)
    for r in rows:
        version = r["version"] if r["readable"] else f"{r['version']} (withheld)"
        table.add_row(str(r["id"]), plain(r["title"]), version, r["created_at"][:10],
                      r["pdf_sha256"][:16] + "…" if r["pdf_sha256"] else "")
    out.print(table)


def _document(ctx: click.Context, document_id: int, reader: str | None) -> tuple[Any, Any]:
    """The document asked for, and the version of it `reader` may see (the same row, or its public version)."""
    from workflow.store.models import Document

    engine = app_for(ctx).engine
    with engine.sessions() as session:
        found = session.get(Document, document_id)
        if found is None:
            raise NotFound(f"there is no document {document_id}")
        shown = document_for(engine, session, found, reader)
        session.expunge_all()
        return found, shown


def _exempt_note(asked: Any, shown: Any, reader: str | None) -> None:
    if asked.id != shown.id:
        whom = f"{reader} is not entitled to see it" if reader else "give --as a person entitled to see it"
        err.print(f"[yellow]note:[/] document {asked.id} is an exempt version ({whom}); "
                  f"its public version, document {shown.id}, is used instead.")


@documents.command(name="show")
@click.argument("document_id", type=ROW_ID)
@reader_option
@json_option
@click.pass_context
def documents_show(ctx: click.Context, document_id: int, reader: str | None, as_json: bool) -> None:
    """One document's record: what made it and its fingerprints."""
    asked, shown = _document(ctx, document_id, reader)
    _exempt_note(asked, shown, reader)
    row = _document_row(shown)
    if as_json:
        emit_json(row)
        return
    for label, value in row.items():
        out.print(f"[bold]{label}:[/] {plain(str(value))}")


@documents.command(name="export")
@click.argument("document_id", type=ROW_ID)
@click.option("--format", "fmt", type=click.Choice(["pdf", "docx", "html"]), default="pdf", show_default=True)
@click.option("--out", "target", type=click.Path(dir_okay=False, path_type=Path), required=True)
@reader_option
@click.pass_context
def documents_export(ctx: click.Context, document_id: int, fmt: str, target: Path, reader: str | None) -> None:
    """Write a document to a file, after checking it still matches its fingerprint.

    An exempt version is written only for a person entitled to it (--as); anyone else gets its public
    version. A missing folder or a stored file gone missing is reported (exit 1) and nothing is written.
    """
    import hashlib

    asked, item = _document(ctx, document_id, reader)
    if not target.parent.is_dir():
        raise NotFound(f"the folder {target.parent} does not exist; create it or give --out a file in another folder")
    _exempt_note(asked, item, reader)
    expected = getattr(item, f"{fmt}_sha256")
    store = _documents_store(ctx)
    require_kept(app_for(ctx).engine, expected, f"document {item.id} ({fmt})")
    try:
        content = store.get(expected)
    except FileNotFoundError:
        raise NotFound(f"the stored {fmt} file of document {item.id} is missing from {store.where}; restore it from "
                       "a backup, and run 'cycle documents verify' to find any others") from None
    if hashlib.sha256(content).hexdigest() != expected:
        raise InvalidInput(f"document {item.id} ({fmt}) no longer matches its SHA-256: it was altered; "
                           "run 'cycle documents verify'")
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror}") from None
    out.print(f"Wrote {target} ({len(content)} bytes, sha256 {expected}).")


@documents.command(name="verify")
@click.pass_context
def documents_verify(ctx: click.Context) -> None:
    """Re-hash every stored document and attached paper; report any that changed (exit 1 if any did)."""
    from notifications.documents import anchored_hashes, verify
    from workflow.store.models import Document, HistoryEntry, Paper

    engine = app_for(ctx).engine
    with engine.sessions() as session:
        rows = list(session.scalars(select(Document).order_by(Document.id)))
        papers = list(session.scalars(select(Paper).order_by(Paper.id)))
        anchors = {h.data.get("document_id"): h.data for h in session.scalars(
            select(HistoryEntry).where(HistoryEntry.action == "document"))}
    erased = erased_hashes(engine)  # destroyed after their case's retention period: tombstones, not losses
    problems = [p for p in verify(_documents_store(ctx), rows) if getattr(p[0], f"{p[1]}_sha256") not in erased]
    # A row changed together with its files still differs from what the hash-chained history recorded.
    for document in rows:
        anchor = anchors.get(document.id)
        if anchor is not None and {k: anchor.get(k) for k in anchored_hashes(document)} != anchored_hashes(document):
            problems.append((document, "record", "its row no longer matches the SHA-256s its history row recorded"))
    for document, fmt, what in problems:
        out.print(f"[red]✗[/] document {document.id} ({plain(document.title)}), {fmt}: {plain(what)}")
    # Papers by id and paper key only: an exempt paper's title is not for everyone running this.
    altered = [(paper, wrong) for paper in papers if (wrong := engine.papers.check(paper.sha256)) is not None]
    for paper, wrong in altered:
        out.print(f"[red]✗[/] paper {paper.id} ({plain(paper.paper)}, cycle {paper.cycle_id}): {plain(wrong)}")
    if problems or altered:
        raise DocumentsAltered(f"{len(problems) + len(altered)} stored file(s) do not match their record")
    gone = sum(1 for d in rows for fmt in ("html", "pdf", "docx") if getattr(d, f"{fmt}_sha256") in erased)
    out.print(f"[green]✓[/] all {len(rows)} documents ({len(rows) * 3 - gone} files"
              + (f", {gone} erased after retention" if gone else "") + f") and {len(papers)} papers match their SHA-256")


class DocumentsAltered(InvalidInput):
    """A stored document no longer matches the hash recorded when it was made."""

    exit_code = 1
