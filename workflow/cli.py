"""The `cycle` command line: parse input, call the engine, show the result.

This is the one place that turns a `CycleError` into a message on stderr and
a non-zero exit code; no traceback reaches a user for an error we foresaw.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from . import db as database
from .app import App, build
from .calendar import Timeline
from .definition import Definition
from .diagram import mermaid
from .errors import CycleError, DefinitionError
from .settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

# Piped output (CI logs, `make demo | less`) gets a readable width rather than 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CycleGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CycleError as exc:
            err.print(f"[bold red]error:[/] {plain(str(exc))}")
            sys.exit(exc.exit_code)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            _disk_full()
        except OperationalError as exc:
            # The database is down or unreachable: say which one and what to check, not a traceback.
            url = make_url(Settings.from_env().database_url).render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if "disk is full" in reason or "No space left" in reason:
                _disk_full()
            err.print(f"[bold red]error:[/] cannot use the database at {plain(url)} ({plain(reason)}); check "
                      "CYCLE_DATABASE_URL and that the server is running, then try again. Nothing was written.")
            sys.exit(5)


def _disk_full() -> NoReturn:
    folder = Settings.from_env().data_dir
    err.print(f"[bold red]error:[/] the disk holding {plain(str(folder))} (or the database) is full; free some space "
              "and try again. Nothing was written.")
    sys.exit(5)


def plain(text: str) -> str:
    # User text goes through rich markup; escape brackets so a name like [draft] stays literal.
    from rich.markup import escape

    return escape(text)


def app_for(ctx: click.Context) -> App:
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        obj["app"] = build(Settings.from_env())
        ctx.call_on_close(obj["app"].close)
    app: App = obj["app"]
    return app


def emit_json(data: Any) -> None:
    def default(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        raise TypeError(f"cannot show {type(value).__name__} as JSON")

    click.echo(json.dumps(data, indent=2, default=default, ensure_ascii=False))


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def actor_option(func: F) -> F:
    return click.option("--as", "actor", required=True, metavar="PERSON",
                        help="Who is acting: a person id from the cycle's directory.")(func)


def _names(values: Iterable[str]) -> list[str]:
    """Accept --for a --for b as well as --for a,b."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a date; use YYYY-MM-DD") from None


@click.group(cls=CycleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="strategy-cycle")
def main() -> None:
    """Run a partnership's strategy development cycle.

    Settings come from the environment: CYCLE_DATABASE_URL (PostgreSQL; default a
    SQLite file in CYCLE_DATA_DIR), CYCLE_DATA_DIR, CYCLE_DEFINITIONS_DIR, CYCLE_NOW.
    """


# -- definitions ------------------------------------------------------------------


def _catalog() -> Any:
    from .catalog import Catalog

    return Catalog(Settings.from_env().definitions_dir)


@main.command()
@click.argument("definitions", nargs=-1)
def validate(definitions: tuple[str, ...]) -> None:
    """Check definitions (ids or files; all shipped ones by default)."""
    catalog = _catalog()
    refs = list(definitions) or [str(p) for p in catalog.files()]
    if not refs:
        raise click.UsageError(f"no definitions found in {catalog.directory}")
    failed: list[DefinitionError] = []
    for ref in refs:
        try:
            d = catalog.load(ref)
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
@click.option("--year", type=int, help="Cycle year for the dated timeline (default: this year).")
@json_option
def show(definition: str, year: int | None, as_json: bool) -> None:
    """Show a definition's stages, transitions and dated timeline."""
    d = _catalog().load(definition)
    year = year or dt.date.today().year
    timeline = Timeline(d, year)
    if as_json:
        emit_json({
            "id": d.id, "title": d.title, "version": d.version, "year": year,
            "stages": [{"id": s.id, "title": s.title, "owner": s.owner, "board": s.board, "final": s.final,
                        "due": timeline.stage_due(s.id), "strands": [x.id for x in s.strands]}
                       for s in d.stages.values()],
            "transitions": [{"trigger": t.trigger, "from": list(t.sources), "to": t.dest, "roles": list(t.roles),
                             "gates": [_gate_text(g, d) for g in t.gates], "at": timeline.resolve(t.at) if t.at else None}
                            for t in d.transitions],
            "timeline": [{"date": day, "milestone": mid, "title": title} for day, mid, title in timeline.dated()],
        })
        return
    out.print(f"[bold]{plain(d.title)}[/] ({d.id}, version {d.version}), cycle year {year}")
    stages = Table(title="Stages", title_justify="left")
    for col in ("stage", "title", "owner", "board", "due"):
        stages.add_column(col)
    for s in d.stages.values():
        due = timeline.stage_due(s.id)
        title = s.title + (f" ({len(s.strands)} parallel strands)" if s.strands else "") + (" [final]" if s.final else "")
        stages.add_row(s.id, plain(title), s.owner or "", d.boards[s.board].name if s.board else "",
                       f"{due:%a %-d %b %Y}" if due else "")
    out.print(stages)
    transitions = Table(title="Transitions", title_justify="left")
    for col in ("trigger", "from", "to", "roles", "gates"):
        transitions.add_column(col)
    for t in d.transitions:
        gates = [_gate_text(g, d) for g in t.gates]
        if t.at:
            gates.append(f"fired by the scheduler on {timeline.resolve(t.at):%-d %b %Y}")
        transitions.add_row(t.trigger, ", ".join(t.sources), t.dest, ", ".join(t.roles), plain("\n".join(gates)))
    out.print(transitions)
    dated = Table(title="Timeline", title_justify="left")
    for col in ("date", "milestone", "title"):
        dated.add_column(col)
    for day, mid, title in timeline.dated():
        dated.add_row(f"{day:%a %-d %b %Y}", mid, plain(title))
    out.print(dated)


def _gate_text(gate: Any, d: Definition) -> str:
    from .definition import DecisionGate, NotBeforeGate, PapersGate, StrandsGate

    match gate:
        case DecisionGate(board, item, quorum):
            q = quorum or d.boards[board].quorum
            return f"{d.boards[board].name} carries '{item}' (quorum {q} voting members)"
        case PapersGate(papers):
            return "papers attached: " + ", ".join(papers)
        case NotBeforeGate(_):
            return "not before a date"
        case StrandsGate(stage):
            return f"all strands of '{stage}' complete"
    return str(gate)


@main.command()
@click.argument("definition")
def diagram(definition: str) -> None:
    """Print a Mermaid state diagram of a definition."""
    click.echo(mermaid(_catalog().load(definition)))


# -- commands ------------------------------------------------------------------------


@main.command()
@click.argument("definition")
@click.option("--year", type=int, required=True, help="The year the cycle begins (2021 for the 2022 strategy).")
@actor_option
@click.option("--comment", help="A note for the history.")
@click.pass_context
def start(ctx: click.Context, definition: str, year: int, actor: str, comment: str | None) -> None:
    """Start a cycle of DEFINITION for a year."""
    result = app_for(ctx).engine.start(definition, year, actor, comment=comment)
    out.print(f"Started [bold]{result.cycle}[/] at '{result.to_state}'.")


@main.command()
@click.argument("cycle")
@click.argument("trigger")
@actor_option
@click.option("--strand", help="Fire the trigger on this parallel strand of the current stage.")
@click.option("--comment", help="A note for the history.")
@click.pass_context
def fire(ctx: click.Context, cycle: str, trigger: str, actor: str, strand: str | None, comment: str | None) -> None:
    """Fire TRIGGER on CYCLE (or on one of its strands)."""
    result = app_for(ctx).engine.fire(cycle, trigger, actor, strand=strand, comment=comment)
    what = f"strand '{result.strand}'" if result.strand else result.cycle
    out.print(f"{what}: '{result.from_state}' → '{result.to_state}' ({trigger}).")


@main.command()
@click.argument("cycle")
@click.option("--board", required=True, help="The board deciding, by id.")
@click.option("--item", required=True, help="The item decided, as the definition's gate names it.")
@actor_option
@click.option("--for", "votes_for", multiple=True, metavar="PEOPLE", help="Voting members voting for (comma-separated or repeated).")
@click.option("--against", multiple=True, metavar="PEOPLE", help="Voting members voting against.")
@click.option("--abstain", multiple=True, metavar="PEOPLE", help="Voting members abstaining.")
@click.option("--present", multiple=True, metavar="PEOPLE", help="Non-voting members present (chair, advisors, observers, officers).")
@click.option("--apologies", multiple=True, metavar="PEOPLE", help="Members who sent apologies.")
@click.option("--interest", multiple=True, metavar="PERSON:TEXT", help="A declaration of interest, as 'person: what'.")
@click.option("--resolution", help="The decision as the minutes record it, e.g. \"That the assessment be signed off.\"")
@click.option("--meeting-date", help="Date of the meeting (YYYY-MM-DD; default today).")
@click.option("--defer", is_flag=True, help="The board deferred the item.")
@click.option("--priority", multiple=True, metavar="PRIORITY:RECOMMENDATION",
              help="A priority agreed, as 'Serious violence: remain a priority' (repeat for each).")
@click.option("--comment", help="A note for the history.")
@click.pass_context
def decide(ctx: click.Context, cycle: str, board: str, item: str, actor: str, votes_for: tuple[str, ...],
           against: tuple[str, ...], abstain: tuple[str, ...], present: tuple[str, ...],
           apologies: tuple[str, ...], interest: tuple[str, ...], resolution: str | None,
           meeting_date: str | None, defer: bool, priority: tuple[str, ...], comment: str | None) -> None:
    """Record a board's decision on an item of CYCLE."""
    priorities = []
    for text in priority:
        title, sep, recommendation = text.partition(":")
        if not sep or not title.strip() or not recommendation.strip():
            raise click.BadParameter(f"'{text}' should read 'priority: recommendation'", param_hint="--priority")
        priorities.append((title.strip(), recommendation.strip()))
    interests: dict[str, str] = {}
    for text in interest:
        person, sep, what = text.partition(":")
        if not sep or not what.strip():
            raise click.BadParameter(f"'{text}' should read 'person: what the interest is'", param_hint="--interest")
        interests[person.strip()] = what.strip()
    result = app_for(ctx).engine.decide(
        cycle, board, item, actor, votes_for=_names(votes_for), votes_against=_names(against),
        abstain=_names(abstain), present=_names(present), apologies=_names(apologies), interests=interests,
        resolution=resolution, meeting_date=parse_date(meeting_date), defer=defer, comment=comment,
        priorities=priorities,
    )
    out.print(f"{result.board} on '{result.item}': [bold]{result.outcome.upper()}[/] "
              f"({result.votes_for} for, {result.votes_against} against, {result.abstentions} abstaining; "
              f"{result.voting_present} voting members present, quorum {result.quorum}).")


@main.command()
@click.argument("cycle")
@click.argument("paper")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@actor_option
@click.option("--exempt", type=int, metavar="PARAGRAPH",
              help="Exempt from publication under this paragraph (1-7) of Schedule 12A, Local Government Act 1972.")
@click.option("--title", help="The paper's title (default: the definition's).")
@click.option("--comment", help="A note for the history.")
@click.pass_context
def attach(ctx: click.Context, cycle: str, paper: str, file: Path, actor: str, exempt: int | None,
           title: str | None, comment: str | None) -> None:
    """Attach FILE to CYCLE as the paper PAPER."""
    result = app_for(ctx).engine.attach(cycle, paper, file, actor, exempt=exempt, title=title, comment=comment)
    marker = " [yellow](exempt)[/]" if result.exempt else ""
    out.print(f"Attached '{plain(result.title)}'{marker} to {result.cycle}: sha256 {result.sha256}, {result.size} bytes.")


# -- read side ------------------------------------------------------------------------


@main.command(name="list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List cycles."""
    rows = app_for(ctx).engine.list_cycles()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No cycles yet: start one with 'cycle start DEFINITION --year YEAR --as PERSON'.")
        return
    table = Table()
    for col in ("cycle", "definition", "year", "stage", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["cycle"], f"{r['definition']} v{r['version']}", str(r["year"]),
                      plain(r["stage_title"]), r["status"])
    out.print(table)


@main.command()
@click.argument("cycle")
@json_option
@click.pass_context
def status(ctx: click.Context, cycle: str, as_json: bool) -> None:
    """Where CYCLE stands, what is due next and who must act."""
    s = app_for(ctx).engine.status(cycle)
    if as_json:
        emit_json(s)
        return
    out.print(f"[bold]{s.cycle}[/] ({s.definition} v{s.version}), {s.status}")
    out.print(f"Stage: [bold]{plain(s.stage_title)}[/] ({s.stage})")
    if s.board:
        out.print(f"Board: {plain(s.board)}")
    if s.due:
        days = s.working_days_left
        when = (f"{days} working days left" if days and days > 0 else "due today" if days == 0
                else f"{-days} working days overdue" if days is not None else "")
        out.print(f"Due: {dt.date.fromisoformat(s.due):%a %-d %B %Y} ({when})")
    if s.actions:
        table = Table(title="What can happen next", title_justify="left")
        for col in ("trigger", "who", "waiting for"):
            table.add_column(col)
        for a in s.actions:
            waiting = plain("\n".join(a.blocked_by)) if a.blocked_by else "[green]ready[/]"
            if a.at:
                waiting = f"fired by the scheduler on {a.at}\n{waiting}"
            table.add_row(a.trigger, ", ".join(a.people or a.roles), waiting)
        out.print(table)
    if s.strands:
        table = Table(title="Strands", title_justify="left")
        for col in ("strand", "state", "due", "next"):
            table.add_column(col)
        for st in s.strands:
            state = f"[green]{st['state']}[/]" if st["complete"] else st["state"]
            table.add_row(plain(st["title"]), state, st["due"] or "", ", ".join(st["next"]))
        out.print(table)
    if s.upcoming:
        table = Table(title="Coming up", title_justify="left")
        for col in ("date", "milestone", "working days"):
            table.add_column(col)
        for u in s.upcoming:
            table.add_row(u["date"], plain(u["title"]), str(u["working_days"]))
        out.print(table)


@main.command()
@click.argument("cycle")
@json_option
@click.pass_context
def history(ctx: click.Context, cycle: str, as_json: bool) -> None:
    """The append-only history of CYCLE."""
    rows = app_for(ctx).engine.history(cycle)
    if as_json:
        emit_json(rows)
        return
    table = Table()
    for col in ("#", "when (UTC)", "who", "what", "from", "to", "comment"):
        table.add_column(col)
    for h in rows:
        what = h["action"] if not h["trigger"] else h["trigger"]
        if h["strand"]:
            what = f"{h['strand']}: {what}"
        if h["action"] == "decide":
            what = f"decision: {h['data']['board']} {h['data']['item']} {h['data']['outcome']}"
        if h["action"] == "attach":
            what = f"attached {h['data']['paper']}" + (" (exempt)" if h["data"].get("exempt") else "")
        table.add_row(str(h["id"]), h["at"][:16].replace("T", " "), h["actor"], plain(what), h["from"] or "",
                      h["to"] or "", plain(h["comment"] or ""))
    out.print(table)


# -- operations ------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema: the embedded database upgrades itself; PostgreSQL needs 'cycle db upgrade'."""


@db.command()
def upgrade() -> None:
    """Bring the database schema up to date."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url)
    try:
        database.upgrade(engine)
        out.print(f"Database at revision {database.current_revision(engine)}.")
    finally:
        engine.dispose()


@db.command()
def current() -> None:
    """Show the database's schema revision and the latest this version knows."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url)
    try:
        out.print(f"current: {database.current_revision(engine) or '(empty)'}; latest: {database.head_revision()}")
    finally:
        engine.dispose()


@main.group()
def clock() -> None:
    """The shared simulated clock, for rehearsals (processes started with CYCLE_CLOCK=shared read it)."""


def _shared_clock() -> tuple[Any, Any]:
    from .app import shared_clock

    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url)
    database.ensure_schema(engine, auto_upgrade=settings.embedded)
    return engine, shared_clock(engine)


@clock.command(name="set")
@click.argument("when")
def clock_set(when: str) -> None:
    """Set the shared clock to WHEN (ISO 8601; UTC unless an offset is given)."""
    try:
        moment = dt.datetime.fromisoformat(when)
    except ValueError:
        raise click.BadParameter(f"'{when}' is not a date and time; use ISO 8601, such as 2021-08-19T10:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    engine, shared = _shared_clock()
    try:
        shared.set(moment)
        out.print(f"The shared clock reads {moment.isoformat()}.")
    finally:
        engine.dispose()


@clock.command(name="show")
def clock_show() -> None:
    """Show the shared clock."""
    engine, shared = _shared_clock()
    try:
        out.print(shared.now().isoformat())
    finally:
        engine.dispose()
