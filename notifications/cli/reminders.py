"""`cycle reminders ...`: the reminders a cycle will send, previewed on its timeline."""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table
from sqlalchemy import select

from notifications import reminders
from notifications.cycle_preview import preview_cycle
from workflow.cli.base import (
    YEAR,
    app_for,
    emit_json,
    json_option,
    main,
    out,
    parse_date,
    plain,
)
from workflow.definition.formatting import table_date, utc_stamp
from workflow.errors import InvalidInput
from workflow.store.models import Cycle
from workflow.time.clock import at_local


@main.group(name="reminders")
def reminders_group() -> None:
    """Reminders a cycle will send."""


@reminders_group.command()
@click.argument("cycle")
@click.option("--year", type=YEAR, help="With a definition instead of a cycle: the year it would run.")
@click.option("--until", "until", help="Only reminders up to this date (YYYY-MM-DD).")
@click.option("--show", "show", type=int, metavar="N", help="Show reminder number N in full.")
@click.option("--if-late", "if_late", is_flag=True,
              help="Also the overdue and escalation reminders planned on entering each stage, which go only "
                   "if the stage is not done by then.")
@json_option
@click.pass_context
def preview(ctx: click.Context, cycle: str, year: int | None, until: str | None, show: int | None,
            if_late: bool, as_json: bool) -> None:
    """Every reminder CYCLE will send from now on, if each stage completes on its due date.

    CYCLE is a cycle (community_safety_strategy-2021), or a definition with --year to
    preview a cycle before it starts. For a running cycle, the stage it is in shows the
    reminders its deadlines hold. A date counted from an event still to come ('... entered',
    '... fired') is planned from when the event is expected, and marked "expected".
    """
    engine = app_for(ctx).engine
    with engine.sessions() as session:
        found = session.scalars(select(Cycle).where(Cycle.key == cycle)).first()
        if found is not None:
            if found.status != "active":
                raise InvalidInput(f"cycle {found.key} is complete: it will send no more reminders")
            definition = engine.catalog.snapshot(session, found.definition_id, found.definition_version)
            key = found.key
            templates = engine.catalog.templates_for_snapshot(definition)
            planned = preview_cycle(session, found, definition, templates, engine.clock.now(),
                                    until=parse_date(until), if_late=if_late)
        else:
            if year is None:
                raise InvalidInput(f"there is no cycle '{cycle}'; to preview a definition, give --year")
            definition = engine.catalog.load(cycle)
            key = f"{definition.id}-{year}"
            templates = engine.catalog.templates_for_snapshot(definition)
            planned = reminders.preview(definition, key, year, definition.initial,
                                        at_local(dt.date(year, definition.starts_in, 1), 9), templates,
                                        until=parse_date(until), if_late=if_late)
    if show is not None:
        if not 1 <= show <= len(planned):
            raise InvalidInput(f"there are {len(planned)} reminders; choose --show 1 to {len(planned)}")
        row, context = planned[show - 1]
        rule = definition.reminders[row.rule]
        subject, text, _html = reminders.Renderer(templates).render(rule, context)
        out.print(f"[bold]To:[/] {plain(definition.people[row.person].title)} <{row.email}>")
        out.print(f"[bold]Date:[/] {utc_stamp(row.when)}")
        out.print(f"[bold]Subject:[/] {plain(subject)}\n")
        out.print(plain(text))
        return
    if as_json:
        emit_json([{"n": i, "when": row.when.isoformat(), "person": row.person, "email": row.email,
                    "subject": row.subject, "stage": row.stage, "rule": row.rule, "kind": row.kind,
                    "days": row.n, "if_late": row.if_late, "expected": row.expected}
                   for i, (row, _) in enumerate(planned, 1)])
        return
    table = Table(title=f"{len(planned)} reminders for {key}", title_justify="left")
    for col in ("#", "when", "to", "subject"):
        table.add_column(col)
    for i, (row, _) in enumerate(planned, 1):
        marks = [m for m, on in (("expected", row.expected), ("if late", row.if_late)) if on]
        table.add_row(str(i), table_date(row.when) + (f" ({', '.join(marks)})" if marks else ""), row.email,
                      plain(row.subject))
    out.print(table)
