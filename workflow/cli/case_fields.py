"""`cycle fields set|show` and `cycle retention run`: a case's data, and erasing personal data on time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click
from rich.table import Table

from workflow.cli.base import (
    actor_option,
    app_for,
    emit_json,
    json_option,
    main,
    out,
    plain,
    reader_option,
)
from workflow.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])


def field_option(func: F) -> F:
    return click.option("--field", "field", multiple=True, metavar="NAME=VALUE",
                        help="A case field's value, as 'subject_name=Alex Example' (repeat for each).")(func)


def field_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """'name=value' pairs as a mapping; one without '=' is refused with a sentence."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise InvalidInput(f"'{pair}' is not a field: write it as name=value, such as panel_size=4")
        values[name.strip()] = value
    return values


@main.group()
def fields() -> None:
    """A case's fields (the data its definition declares): set them, show them."""


@fields.command("set")
@click.argument("cycle")
@click.argument("pairs", nargs=-1, required=True, metavar="NAME=VALUE...")
@actor_option
@click.option("--comment", help="A note for the history.")
@click.pass_context
def set_fields(ctx: click.Context, cycle: str, pairs: tuple[str, ...], actor: str, comment: str | None) -> None:
    """Set fields of CYCLE, each as name=value; every value is checked before any is written."""
    changed = app_for(ctx).engine.set_fields(cycle, field_pairs(pairs), actor, comment=comment)
    out.print(f"{cycle}: set {', '.join(changed)}." if changed else f"{cycle}: nothing changed.")


@fields.command("show")
@click.argument("cycle")
@reader_option
@json_option
@click.pass_context
def show_fields(ctx: click.Context, cycle: str, reader: str | None, as_json: bool) -> None:
    """The fields of CYCLE; personal values only to a reader (--as) entitled to the case."""
    shown = app_for(ctx).engine.case_fields(cycle, reader)
    if as_json:
        emit_json([{"field": f.id, "title": f.title, "type": f.type, "value": f.value, "personal": f.personal}
                   for f in shown])
        return
    table = Table()
    for col in ("field", "title", "value"):
        table.add_column(col)
    for f in shown:
        table.add_row(f.id, plain(f.title) + (" [yellow](personal)[/]" if f.personal else ""), plain(f.value or "-"))
    out.print(table)


@main.group()
def retention() -> None:
    """Personal data kept only as long as the definition says."""


@retention.command("run")
@click.pass_context
def retention_run(ctx: click.Context) -> None:
    """Erase the personal data of every case closed longer than its definition's retention period.

    Its personal fields, outside contacts, letters, emails written with personal values and the files of its
    documents' exempt versions; each row stays, marked erased, and the history verifies as before.
    """
    app = app_for(ctx)
    erased = app.engine.retention_run(app.documents())
    for found in erased:
        out.print(f"{found.cycle}: {plain(found.said())}")
    if not erased:
        out.print("no personal data is past its retention period")
