"""`cycle validate`, `cycle show`, `cycle diagram`: definitions, checked and drawn, before any cycle runs."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from workflow.cli.base import (
    YEAR,
    emit_json,
    err,
    json_option,
    main,
    out,
    plain,
)
from workflow.definition import gates as gate_rules
from workflow.definition.calendar import Timeline
from workflow.definition.diagram import mermaid
from workflow.definition.formatting import short_date, table_date
from workflow.definition.model import Definition
from workflow.definition.planning import BlackoutSpan, blackouts_between, check_plan
from workflow.errors import DefinitionError
from workflow.settings import Settings


def _catalog() -> Any:
    from workflow.store.catalog import Catalog

    return Catalog(Settings.from_env().definitions_dir)


def _expand(refs: Iterable[str]) -> list[str]:
    """Definition ids and files as given; a folder stands for the .yaml and .yml files in it."""
    found: list[str] = []
    for ref in refs:
        folder = Path(ref)
        if folder.is_dir():
            files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
            if not files:
                raise click.UsageError(f"there is no .yaml definition file in the folder {folder}")
            found += [str(f) for f in files]
        else:
            found.append(ref)
    return found


@main.command()
@click.argument("definitions", nargs=-1)
@click.option("--year", type=int, help="Check lengths and blackout periods in this cycle year's plan "
              "(default: this year).")
def validate(definitions: tuple[str, ...], year: int | None) -> None:
    """Check definitions (ids, files or folders; all shipped ones by default)."""
    catalog = _catalog()
    refs = _expand(definitions) or [str(p) for p in catalog.files()]
    if not refs:
        raise click.UsageError(f"no definitions found in {catalog.directory}")
    year = year or dt.date.today().year
    failed: list[DefinitionError] = []
    for ref in refs:
        try:
            d = catalog.load(ref)
            check_plan(d, year)
        except DefinitionError as exc:
            failed.append(exc)
            err.print(f"[red]✗[/] {plain(ref)}: {len(exc.problems)} problem(s)")
            for problem in exc.problems:
                err.print(f"  {plain(str(problem))}")
            continue
        out.print(f"[green]✓[/] {plain(d.path)}: '{d.id}' version {d.version}, {len(d.stages)} stages, "
                  f"{len(d.transitions)} transitions, {len(d.boards)} boards")
    if failed:
        sys.exit(DefinitionError.exit_code)


@main.command()
@click.argument("definition")
@click.option("--year", type=YEAR, help="Cycle year for the dated timeline (default: this year).")
@json_option
def show(definition: str, year: int | None, as_json: bool) -> None:
    """Show a definition's stages, transitions and dated timeline."""
    d = _catalog().load(definition)
    year = year or dt.date.today().year
    check_plan(d, year)
    timeline = Timeline(d, year)
    blackouts = _blackouts_shown(d, timeline)
    if as_json:
        emit_json({
            "id": d.id, "title": d.title, "version": d.version, "year": year,
            "stages": [{"id": s.id, "title": s.title, "owner": s.owner, "board": s.board, "final": s.final,
                        "due": timeline.stage_due(s.id), "strands": [x.id for x in s.strands]}
                       for s in d.stages.values()],
            "transitions": [{"trigger": t.trigger, "from": list(t.sources), "to": t.dest, "roles": list(t.roles),
                             "gates": [gate_rules.describe(g, d, timeline) for g in t.gates], "at": timeline.resolve(t.at) if t.at else None}
                            for t in d.transitions],
            "timeline": [{"date": day, "milestone": mid, "title": title} for day, mid, title in timeline.dated()],
            "blackouts": [{"id": b.id, "title": b.title, "from": b.first, "to": b.last} for b in blackouts],
            "lengths": {sid: _lengths(d, timeline, sid) for sid in d.stages if _lengths(d, timeline, sid)},
        })
        return
    out.print(f"[bold]{plain(d.title)}[/] ({d.id}, version {d.version}), cycle year {year}")
    stages = Table(title="Stages", title_justify="left")
    for col in ("stage", "title", "owner", "board", "due"):
        stages.add_column(col)
    for s in d.stages.values():
        due = timeline.stage_due(s.id)
        title = s.title + (f" ({len(s.strands)} parallel strands)" if s.strands else "") + (" [final]" if s.final else "")
        rules = _lengths(d, timeline, s.id)
        when = "\n".join([table_date(due), *rules]).strip()
        stages.add_row(s.id, plain(title), s.owner or "", d.boards[s.board].name if s.board else "", plain(when))
    out.print(stages)
    transitions = Table(title="Transitions", title_justify="left")
    for col in ("trigger", "from", "to", "roles", "gates"):
        transitions.add_column(col)
    for t in d.transitions:
        gates = [gate_rules.describe(g, d, timeline) for g in t.gates]
        if t.at:
            gates.append(f"fired by the scheduler on {short_date(timeline.resolve(t.at))}")
        transitions.add_row(t.trigger, ", ".join(t.sources), t.dest, ", ".join(t.roles), plain("\n".join(gates)))
    out.print(transitions)
    if d.fields:
        fields = Table(title="Case fields" + (f" (personal ones kept {d.retention} after closing)" if d.retention
                                              else ""), title_justify="left")
        for col in ("field", "title", "type", "required", "personal"):
            fields.add_column(col)
        for f in d.fields.values():
            kind = f"choice: {', '.join(f.choices)}" if f.choices else f.type
            fields.add_row(f.id, plain(f.title), plain(kind), f.required_at or "", "yes" if f.personal else "")
        out.print(fields)
    dated = Table(title="Timeline", title_justify="left")
    for col in ("date", "milestone", "title"):
        dated.add_column(col)
    rows = [(day, table_date(day), mid, plain(title)) for day, mid, title in timeline.dated()]
    rows += [(b.first, f"{table_date(b.first)} to {table_date(b.last)}", b.id, f"[yellow]blackout:[/] {plain(b.title)}")
             for b in blackouts]
    for _day, *cells in sorted(rows, key=lambda r: r[0]):
        dated.add_row(*cells)
    out.print(dated)


def _blackouts_shown(d: Definition, timeline: Timeline) -> list[BlackoutSpan]:
    """The blackout periods from the start of the cycle year to its last dated milestone."""
    dated = timeline.dated()
    if not d.blackouts or not dated:
        return []
    return blackouts_between(d, timeline.year_starts(), max(dated[-1][0], timeline.year_starts()))


def _lengths(d: Definition, timeline: Timeline, stage_id: str) -> list[str]:
    """A stage's length rules and blackout periods, as `cycle show` lists them under its due date."""
    stage = d.stages[stage_id]
    found = []
    for what, timing in [("", stage.timing), *((f"{x.id}: ", x.timing) for x in stage.strands)]:
        if timing.at_least:
            found.append(f"{what}at least {timing.at_least}")
        if timing.at_most:
            found.append(f"{what}at most {timing.at_most}")
        found += [f"{what}not over {d.blackouts[b].title}" for b in timing.outside]
    for bid, days in timeline.extended.get(stage_id, []):
        found.append(f"{days} days added for {d.blackouts[bid].title}")
    return found


@main.command()
@click.argument("definition")
def diagram(definition: str) -> None:
    """Print a Mermaid state diagram of a definition."""
    click.echo(mermaid(_catalog().load(definition)))
