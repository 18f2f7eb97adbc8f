"""`cycle mail ...`: the email the workers queued and sent, as a reader may see it, and retrying one."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table
from sqlalchemy import select

from notifications import delivery
from notifications.disclosure import shown_mail, withheld_reason
from workflow.cli.base import (
    ROW_ID,
    actor_option,
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
from workflow.definition.entitlement import PERSONAL, to_contact
from workflow.errors import NotFound
from workflow.store.models import Cycle, Mail

WITHHELD = "(withheld: it carries exempt information)"
PERSONAL_WITHHELD = "(personal data withheld: it carries a case's personal details)"
ERASED = "(erased after the case's retention period)"


@main.group()
def mail() -> None:
    """Email the workers have queued and sent."""


def _row(item: Mail, readable: bool = True, reason: str | None = None) -> dict[str, Any]:
    to = item.recipient if readable or not to_contact(item) else "a contact outside the directory"
    if to_contact(item) and item.erased_at is not None:
        to = "a contact outside the directory (erased)"
    return {"id": item.id, "dated": item.dated.isoformat(), "to": to, "person": item.person,
            "subject": _subject(item, readable, reason), "withheld": not readable, "reason": reason,
            "erased_at": item.erased_at.isoformat() if item.erased_at else None, "kind": item.kind, "status": item.status, "attempts": item.attempts,
            "next_attempt_at": item.next_attempt_at.isoformat(),
            "sent_at": item.sent_at.isoformat() if item.sent_at else None, "last_error": item.last_error}


def _subject(item: Mail, readable: bool, reason: str | None) -> str:
    """The subject as this reader may see it: withheld (saying why), erased, or itself."""
    if not readable:
        return PERSONAL_WITHHELD if reason == PERSONAL else WITHHELD
    return ERASED if item.erased_at is not None else item.subject


@mail.command(name="list")
@click.argument("cycle", required=False)
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "retrying", "failed", "uncertain"]),
              help="Only the emails in this state of delivery.")
@reader_option
@json_option
@click.pass_context
def mail_list(ctx: click.Context, cycle: str | None, status: str | None, reader: str | None, as_json: bool) -> None:
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
        rows = [_row(s.mail, s.readable, s.reason)
                for s in shown_mail(engine, session, list(session.scalars(query)), reader)]
    if as_json:
        emit_json(rows)
        return
    withheld_note(sum(1 for r in rows if r["withheld"] and r["reason"] != PERSONAL), reader,
                  "email carrying exempt information", "emails carrying exempt information")
    withheld_note(sum(1 for r in rows if r["withheld"] and r["reason"] == PERSONAL), reader,
                  "email carrying a case's personal data", "emails carrying a case's personal data")
    table = Table(title=f"{len(rows)} emails", title_justify="left")
    for col in ("id", "dated", "to", "subject", "status", "tries", "problem"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["dated"][:10], r["to"], plain(r["subject"]), r["status"], str(r["attempts"]),
                      plain(r["last_error"] or ""))
    out.print(table)


@mail.command(name="show")
@click.argument("mail_id", type=ROW_ID)
@reader_option
@json_option
@click.pass_context
def mail_show(ctx: click.Context, mail_id: int, reader: str | None, as_json: bool) -> None:
    """One email: headers, status and the text as sent (if it carries exempt papers: to those entitled)."""
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        item = session.get(Mail, mail_id)
        if item is None:
            raise NotFound(f"there is no mail {mail_id}")
        reason = withheld_reason(engine, session, item, reader)
        readable = reason is None
        row = _row(item, readable, reason) | {"text": _subject(item, readable, reason) if not readable
                                              or item.erased_at is not None else item.text_body,
                                              "attachments": item.attachments if readable else {}}
    if not readable:
        what = "a case's personal data" if reason == PERSONAL else "exempt information"
        err.print(f"[yellow]note:[/] mail {mail_id} carries {what} that "
                  f"{reader + ' is not entitled to see' if reader else 'only an entitled person may see (give --as)'}"
                  "; its subject, text and attachments are withheld.")
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
@click.argument("mail_id", type=ROW_ID)
@actor_option
@click.pass_context
def mail_retry(ctx: click.Context, mail_id: int, actor: str) -> None:
    """Queue a failed or uncertain email again."""
    row = delivery.retry_as(app_for(ctx).engine, mail_id, actor)
    out.print(f"Mail {row.id} to {row.recipient} is queued again.")
