"""`cycle deadlines ...` and `cycle events ...`: timed work and domain events, and putting failed ones back."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table
from sqlalchemy import select

from workflow.cli.base import actor_option, app_for, emit_json, json_option, main, out, plain
from workflow.commands.repair import event_status, retry_deadline, retry_event
from workflow.engine import Engine
from workflow.errors import NotFound
from workflow.store.models import Cycle, Deadline, OutboxEvent


def _for_cycle(engine: Engine, query: Any, column: Any, cycle: str | None) -> Any:
    if not cycle:
        return query
    with engine.sessions() as session:
        found = session.scalar(select(Cycle.id).where(Cycle.key == cycle))
    if found is None:
        raise NotFound(f"there is no cycle '{cycle}'")
    return query.where(column == found)


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@main.group(name="deadlines")
def deadlines_group() -> None:
    """Timed work the workers' sweep does: reminders, timed transitions, stages falling overdue."""


@deadlines_group.command(name="list")
@click.argument("cycle", required=False)
@click.option("--status", type=click.Choice(["pending", "done", "skipped", "cancelled", "failed"]))
@json_option
@click.pass_context
def deadlines_list(ctx: click.Context, cycle: str | None, status: str | None, as_json: bool) -> None:
    """Deadlines by due date; CYCLE and --status narrow it."""
    engine = app_for(ctx).engine
    query = _for_cycle(engine, select(Deadline, Cycle.key).join(Cycle, Cycle.id == Deadline.cycle_id)
                       .order_by(Deadline.due_at, Deadline.id), Deadline.cycle_id, cycle)
    if status:
        query = query.where(Deadline.status == status)
    with engine.sessions() as session:
        rows: list[dict[str, Any]] = [{"id": d.id, "cycle": key, "stage": d.stage, "kind": d.kind, "what": d.trigger or d.data.get("rule"),
                 "due_at": d.due_at.isoformat(), "status": d.status, "attempts": d.attempts, "failures": d.failures,
                 "next_attempt_at": _when(d.next_attempt_at), "last_error": d.last_error}
                for d, key in session.execute(query)]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} deadlines", title_justify="left")
    for col in ("id", "cycle", "due", "kind", "stage", "status", "failures", "problem"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["cycle"], r["due_at"][:16], r["kind"], r["stage"], r["status"],
                      str(r["failures"]), plain(r["last_error"] or ""))
    out.print(table)


@deadlines_group.command(name="retry")
@click.argument("deadline_id", type=int)
@actor_option
@click.pass_context
def deadlines_retry(ctx: click.Context, deadline_id: int, actor: str) -> None:
    """Make a failed deadline pending again: the next sweep acts on it."""
    row = retry_deadline(app_for(ctx).engine, deadline_id, actor)
    out.print(f"Deadline {row.id} ({row.kind}, stage {row.stage}) is pending again.")


@main.group(name="events")
def events_group() -> None:
    """Domain events in the outbox, and whether the workers handled them."""


@events_group.command(name="list")
@click.argument("cycle", required=False)
@click.option("--status", type=click.Choice(["pending", "dispatched", "handled", "retrying", "failed"]))
@json_option
@click.pass_context
def events_list(ctx: click.Context, cycle: str | None, status: str | None, as_json: bool) -> None:
    """Events, oldest first; CYCLE and --status narrow it."""
    engine = app_for(ctx).engine
    query = _for_cycle(engine, select(OutboxEvent, Cycle.key).join(Cycle, Cycle.id == OutboxEvent.cycle_id)
                       .order_by(OutboxEvent.id), OutboxEvent.cycle_id, cycle)
    conditions = {
        "handled": OutboxEvent.handled_at.is_not(None),
        "failed": OutboxEvent.failed_at.is_not(None) & OutboxEvent.handled_at.is_(None),
        "retrying": (OutboxEvent.failures > 0) & OutboxEvent.failed_at.is_(None) & OutboxEvent.handled_at.is_(None),
        "dispatched": OutboxEvent.dispatched_at.is_not(None) & (OutboxEvent.failures == 0)
        & OutboxEvent.handled_at.is_(None),
        "pending": OutboxEvent.dispatched_at.is_(None) & (OutboxEvent.failures == 0)
        & OutboxEvent.handled_at.is_(None),
    }
    if status:
        query = query.where(conditions[status])
    with engine.sessions() as session:
        rows: list[dict[str, Any]] = [{"id": e.id, "cycle": key, "type": e.event_type, "created_at": e.created_at.isoformat(),
                 "status": event_status(e), "published": e.attempts, "failures": e.failures,
                 "next_attempt_at": _when(e.next_attempt_at), "last_error": e.last_error}
                for e, key in session.execute(query)]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} events", title_justify="left")
    for col in ("id", "cycle", "type", "created", "status", "failures", "problem"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["cycle"], r["type"], r["created_at"][:16], r["status"], str(r["failures"]),
                      plain(r["last_error"] or ""))
    out.print(table)


@events_group.command(name="retry")
@click.argument("event_id", type=int)
@actor_option
@click.pass_context
def events_retry(ctx: click.Context, event_id: int, actor: str) -> None:
    """Put a failed event back: the relay publishes it again, and the handlers that had not run, run."""
    row = retry_event(app_for(ctx).engine, event_id, actor)
    out.print(f"Event {row.id} ({row.event_type}) is queued again.")
