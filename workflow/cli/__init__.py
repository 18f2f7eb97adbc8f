"""The `cycle` command line: parse input, call the engine, show the result.

This is the one place that turns a `CycleError` into a message on stderr and
a non-zero exit code; no traceback reaches a user for an error we foresaw.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from workflow.app import App, build
from workflow.commands.meetings import change_meeting
from workflow.datadir import keep_private, private_dir
from workflow.definition import gates as gate_rules
from workflow.definition.calendar import Timeline
from workflow.definition.diagram import mermaid
from workflow.definition.model import Definition
from workflow.definition.planning import BlackoutSpan, blackouts_between, check_plan
from workflow.engine import Recorded
from workflow.errors import CycleError, DefinitionError
from workflow.settings import Settings
from workflow.store import db as database

F = TypeVar("F", bound=Callable[..., Any])

YEAR = click.IntRange(1900, 9998)
"""A cycle year: its timeline runs into the next year, which must still be a date Python can hold."""
ROW_ID = click.IntRange(1, 2**31 - 1)
"""The number of a mail or document, as `cycle mail list` shows it."""

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
        settings = Settings.from_env()
        private_dir(settings.data_dir)
        obj["app"] = build(settings)
        obj["app"].engine.operator = operating_system_account()
        ctx.call_on_close(obj["app"].close)
    app: App = obj["app"]
    return app


def operating_system_account() -> str:
    """Who ran the command on this machine, for the history (the person acting is --as)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


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


def reader_option(func: F) -> F:
    return click.option("--as", "reader", metavar="PERSON",
                        help="Whose view: exempt information is shown only to a person entitled to it "
                             "(without --as, the public view).")(func)


def withheld_note(count: int, reader: str | None, what: str = "exempt paper", plural: str | None = None) -> None:
    """One sentence on stderr: exempt information exists, and was left out for this reader."""
    if count:
        them = "it" if count == 1 else "them"
        why = f"{reader} is not entitled to see {them}" if reader else f"give --as a person entitled to see {them}"
        err.print(f"[yellow]note:[/] {count} {what if count == 1 else plural or what + 's'} withheld: {why}.")


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
    keep_private()  # whatever any command writes (database, papers, documents, emails) is 0600


# -- definitions ------------------------------------------------------------------


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
        when = "\n".join([f"{due:%a %-d %b %Y}" if due else "", *rules]).strip()
        stages.add_row(s.id, plain(title), s.owner or "", d.boards[s.board].name if s.board else "", plain(when))
    out.print(stages)
    transitions = Table(title="Transitions", title_justify="left")
    for col in ("trigger", "from", "to", "roles", "gates"):
        transitions.add_column(col)
    for t in d.transitions:
        gates = [gate_rules.describe(g, d, timeline) for g in t.gates]
        if t.at:
            gates.append(f"fired by the scheduler on {timeline.resolve(t.at):%-d %b %Y}")
        transitions.add_row(t.trigger, ", ".join(t.sources), t.dest, ", ".join(t.roles), plain("\n".join(gates)))
    out.print(transitions)
    dated = Table(title="Timeline", title_justify="left")
    for col in ("date", "milestone", "title"):
        dated.add_column(col)
    rows = [(day, f"{day:%a %-d %b %Y}", mid, plain(title)) for day, mid, title in timeline.dated()]
    rows += [(b.first, f"{b.first:%a %-d %b %Y} to {b.last:%a %-d %b %Y}", b.id, f"[yellow]blackout:[/] {plain(b.title)}")
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


# -- commands ------------------------------------------------------------------------


@main.command()
@click.argument("definition")
@click.option("--year", type=YEAR, required=True, help="The year the cycle begins (2021 for the 2022 strategy).")
@actor_option
@click.option("--comment", help="A note for the history.")
@click.option("--outside-folder", is_flag=True,
              help="Start from a file outside the definitions folder (an administrator's act; never a folder id).")
@click.pass_context
def start(ctx: click.Context, definition: str, year: int, actor: str, comment: str | None,
          outside_folder: bool) -> None:
    """Start a cycle of DEFINITION for a year."""
    result = app_for(ctx).engine.start(definition, year, actor, comment=comment, outside_folder=outside_folder)
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
@click.option("--meeting-date", help="Date of the meeting (YYYY-MM-DD; default the board's scheduled meeting for the item).")
@click.option("--defer", is_flag=True, help="The board deferred the item.")
@click.option("--amends", type=int, metavar="DECISION", help="This decision amends decision DECISION (needs --reason).")
@click.option("--rescinds", type=int, metavar="DECISION", help="The board rescinded decision DECISION (needs --reason).")
@click.option("--reason", help="Why a decision is amended or rescinded, as the minutes say.")
@click.option("--priority", multiple=True, metavar="PRIORITY:RECOMMENDATION",
              help="A priority agreed, as 'Serious violence: remain a priority' (repeat for each).")
@click.option("--comment", help="A note for the history.")
@click.pass_context
def decide(ctx: click.Context, cycle: str, board: str, item: str, actor: str, votes_for: tuple[str, ...],
           against: tuple[str, ...], abstain: tuple[str, ...], present: tuple[str, ...],
           apologies: tuple[str, ...], interest: tuple[str, ...], resolution: str | None,
           meeting_date: str | None, defer: bool, amends: int | None, rescinds: int | None, reason: str | None,
           priority: tuple[str, ...], comment: str | None) -> None:
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
        priorities=priorities, amends=amends, rescinds=rescinds, reason=reason,
    )
    _said(result)


def _said(result: Recorded) -> None:
    if result.outcome == "rescinded":
        out.print(f"Decision {result.decision_id}: {result.board} rescinded decision {result.supersedes} "
                  f"on '{result.item}'.")
        return
    amended = f", amending decision {result.supersedes}" if result.supersedes else ""
    out.print(f"Decision {result.decision_id}{amended}: {result.board} on '{result.item}': "
              f"[bold]{result.outcome.upper()}[/] "
              f"({result.votes_for} for, {result.votes_against} against, {result.abstentions} abstaining; "
              f"{result.voting_present} voting members present, quorum {result.quorum}).")


@main.group()
def meeting() -> None:
    """Move or cancel a board meeting of a running cycle; members are sent the calendar update."""


def _parse_time(text: str | None) -> dt.time | None:
    if text is None:
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a time of day; use HH:MM", param_hint="--start") from None


@meeting.command("move")
@click.argument("cycle")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--date", "day", help="The new date (YYYY-MM-DD).")
@click.option("--start", help="The new start time (HH:MM, UK time).")
@click.option("--reason", required=True, help="Why it moves, as members will read it.")
@actor_option
@click.pass_context
def move_meeting(ctx: click.Context, cycle: str, meeting_id: str, day: str | None, start: str | None, reason: str,
                 actor: str) -> None:
    """Move MEETING of CYCLE to another date or time."""
    change = change_meeting(app_for(ctx).engine, cycle, meeting_id, actor, reason=reason, day=parse_date(day),
                            start=_parse_time(start))
    at = f" at {change.start:%H:%M}" if change.start else ""
    out.print(f"'{meeting_id}' moved to {change.day:%A %-d %B %Y}{at} (update {change.sequence}); "
              "its members are sent the calendar update.")


@meeting.command("cancel")
@click.argument("cycle")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--reason", required=True, help="Why it is cancelled, as members will read it.")
@actor_option
@click.pass_context
def cancel_meeting(ctx: click.Context, cycle: str, meeting_id: str, reason: str, actor: str) -> None:
    """Cancel MEETING of CYCLE."""
    change_meeting(app_for(ctx).engine, cycle, meeting_id, actor, reason=reason, cancel=True)
    out.print(f"'{meeting_id}' cancelled; its members are sent the cancellation for their calendars.")


@main.command()
@click.argument("cycle")
@click.argument("decision", type=int)
@click.option("--reason", required=True, help="Why the board rescinded it, as the minutes say.")
@actor_option
@click.option("--meeting-date", help="Date of the meeting that rescinded it (YYYY-MM-DD; default today).")
@click.option("--comment", help="A note for the history.")
@click.pass_context
def rescind(ctx: click.Context, cycle: str, decision: int, reason: str, actor: str, meeting_date: str | None,
            comment: str | None) -> None:
    """Record that a board rescinded DECISION of CYCLE; both stay in the register."""
    _said(app_for(ctx).engine.rescind(cycle, decision, actor, reason=reason, meeting_date=parse_date(meeting_date),
                                      comment=comment))


@main.command()
@click.argument("cycle")
@click.argument("paper")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@actor_option
@click.option("--exempt", type=int, metavar="PARAGRAPH",
              help="Exempt from publication under this paragraph (1-7) of Schedule 12A, Local Government Act 1972.")
@click.option("--title", help="The paper's title (default: the definition's).")
@click.option("--stage", help="The stage (and so the board) it is for, if a later one than the current stage.")
@click.option("--comment", help="A note for the history (kept out of public outputs when the paper is exempt).")
@click.pass_context
def attach(ctx: click.Context, cycle: str, paper: str, file: Path, actor: str, exempt: int | None,
           title: str | None, stage: str | None, comment: str | None) -> None:
    """Attach FILE to CYCLE as the paper PAPER, for the current stage's board (or --stage's).

    FILE must be a regular file of at most CYCLE_MAX_PAPER_BYTES (50 MB unless set).
    """
    result = app_for(ctx).engine.attach(cycle, paper, file, actor, exempt=exempt, title=title, comment=comment,
                                        stage=stage)
    marker = " [yellow](exempt)[/]" if result.exempt else ""
    out.print(f"Attached '{plain(result.title)}'{marker} to {result.cycle}: sha256 {result.sha256}, {result.size} bytes.")


@main.command()
@click.argument("cycle")
@click.option("--to-version", type=int, required=True, help="The version of the definition to move to.")
@actor_option
@click.option("--map", "mapping", multiple=True, metavar="OLD=NEW",
              help="Where a stage the new version renames or removes goes (repeat for each).")
@click.option("--dry-run", is_flag=True, help="Only say what would change; write nothing.")
@click.option("--comment", help="A note for the history.")
@json_option
@click.pass_context
def migrate(ctx: click.Context, cycle: str, to_version: int, actor: str, mapping: tuple[str, ...], dry_run: bool,
            comment: str | None, as_json: bool) -> None:
    """Move a running CYCLE to another version of its definition (admins only)."""
    from workflow.commands.migrate import migrate as move_cycle

    pairs: dict[str, str] = {}
    for text in mapping:
        old, sep, new = (part.strip() for part in text.partition("="))
        if not sep or not old or not new:
            raise click.BadParameter(f"'{text}' should read 'old_stage=new_stage'", param_hint="--map")
        pairs[old] = new
    move = move_cycle(app_for(ctx).engine, cycle, to_version, actor, mapping=pairs, dry_run=dry_run, comment=comment)
    if as_json:
        emit_json(move)
        return
    verb = "Moved" if move.done else "Would move"
    out.print(f"{verb} [bold]{move.cycle}[/] from version {move.from_version} to {move.to_version} of "
              f"'{move.definition}': '{move.from_stage}' → '{move.to_stage}'.")
    sections = [
        ("Stages renamed", [f"{a} → {b}" for a, b in move.renamed.items()]),
        ("Stages removed", move.removed), ("Stages added", move.added),
        ("People", move.people), ("Boards", move.boards),
        ("Deadlines re-planned", [f"{d['what']}: {d['from'] or '-'} → {d['to'] or '-'}" for d in move.deadlines]),
    ]
    for title, rows in sections:
        if rows:
            out.print(f"{title}:")
            for row in rows:
                out.print(f"  {plain(row)}")
    if not move.done:
        out.print("Nothing was written (dry run).")


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
@reader_option
@json_option
@click.pass_context
def status(ctx: click.Context, cycle: str, reader: str | None, as_json: bool) -> None:
    """Where CYCLE stands, what is due next and who must act."""
    s = app_for(ctx).engine.status(cycle, reader)
    if as_json:
        emit_json(s)
        return
    withheld_note(sum(1 for p in s.papers if p["withheld"]), reader)
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
    if s.papers:
        table = Table(title="Papers", title_justify="left")
        for col in ("paper", "for stage", "title", "sha256"):
            table.add_column(col)
        for p in s.papers:
            title = "[yellow](exempt paper, withheld)[/]" if p["withheld"] else plain(p["title"]) + (
                " [yellow](exempt)[/]" if p["exempt"] else "")
            table.add_row(p["paper"], p["stage"] or "", title, (p["sha256"] or "")[:16])
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
@click.argument("verify_cycle", required=False, metavar="[CYCLE]")
@reader_option
@json_option
@click.pass_context
def history(ctx: click.Context, cycle: str, verify_cycle: str | None, reader: str | None, as_json: bool) -> None:
    """The append-only history of CYCLE; 'cycle history verify [CYCLE]' checks its hash chain."""
    if cycle == "verify":
        _verify_history(app_for(ctx), verify_cycle)
        return
    if verify_cycle is not None:
        raise click.UsageError(f"'cycle history' takes one cycle; did you mean 'cycle history verify {verify_cycle}'?")
    rows = app_for(ctx).engine.history(cycle, reader)
    if as_json:
        emit_json(rows)
        return
    withheld_note(sum(1 for h in rows if h["data"].get("withheld")), reader, "exempt attachment")
    table = Table()
    for col in ("#", "when (UTC)", "who", "what", "from", "to", "comment"):
        table.add_column(col)
    for h in rows:
        what = h["action"] if not h["trigger"] else h["trigger"]
        if h["strand"]:
            what = f"{h['strand']}: {what}"
        if h["action"] == "decide":
            what = f"decision: {h['data']['board']} {h['data']['item']} {h['data']['outcome']}"
        if h["action"] == "document":
            what = f"document {h['data']['document_id']} made ({h['data']['spec']}, {h['data']['version']})"
        if h["action"] == "attach":
            what = f"attached {h['data']['paper']}" + (" (exempt, withheld)" if h["data"].get("withheld")
                                                        else " (exempt)" if h["data"].get("exempt") else "")
        table.add_row(str(h["id"]), h["at"][:16].replace("T", " "), h["actor"], plain(what), h["from"] or "",
                      h["to"] or "", plain(h["comment"] or ""))
    out.print(table)


@main.command()
@actor_option
@json_option
@click.pass_context
def mywork(ctx: click.Context, actor: str, as_json: bool) -> None:
    """What PERSON (--as: an id or an email) must do now in every running cycle, overdue first."""
    from workflow.reads.mywork import my_work

    items = my_work(app_for(ctx).engine, actor)
    if as_json:
        emit_json([dataclasses.asdict(i) | {"overdue": i.overdue} for i in items])
        return
    if not items:
        out.print(f"nothing waits on {plain(actor)} in the running cycles")
        return
    table = Table()
    for col in ("cycle", "what", "due", "working days"):
        table.add_column(col)
    for i in items:
        left = "" if i.working_days_left is None else (
            f"[red]{-i.working_days_left} overdue[/]" if i.overdue else str(i.working_days_left))
        table.add_row(i.cycle, plain(i.title), f"{i.due:%a %-d %b %Y}" if i.due else "", left)
    out.print(table)
def _verify_history(app: App, cycle: str | None) -> None:
    from workflow.errors import AuditTrailBroken
    from workflow.store.audit import verify_history

    with app.engine.sessions() as session:
        cycle_id = None if cycle is None else app.engine.cycle_id(session, cycle)
        report = verify_history(session, cycle_id)
    for broken in report.broken:
        out.print(f"[red]✗[/] {plain(str(broken))}")
    if report.broken:
        raise AuditTrailBroken(f"the history of {len(report.broken)} cycle(s) does not match its hash chain; "
                               "restore the database from a backup taken before the row named above")
    out.print(f"[green]✓[/] {report.rows} history rows in {report.cycles} cycle(s) match their hash chain")


# -- operations ------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema: the embedded database upgrades itself; PostgreSQL needs 'cycle db upgrade'."""


@db.command()
@click.option("--rehearsal", is_flag=True,
              help="Mark a new, empty database as a rehearsal's: simulated clocks allowed, every row marked.")
def upgrade(rehearsal: bool) -> None:
    """Bring the database schema up to date."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url)
    try:
        database.upgrade(engine)
        if rehearsal:
            database.mark_rehearsal(engine)
        kind = " (a rehearsal database)" if database.is_rehearsal(engine) else ""
        out.print(f"Database at revision {database.current_revision(engine)}{kind}.")
    finally:
        engine.dispose()


@db.command()
@click.option("--app-role", "role", required=True, help="The PostgreSQL role the application connects as.")
def grant(role: str) -> None:
    """Give ROLE what the application needs and no more: insert and read only on the audit tables."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url)
    try:
        database.grant_app_role(engine, role)
        out.print(f"'{plain(role)}' may now run strategy-cycle here; it can add to the audit tables but never "
                  "change them.")
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
    from workflow.app import shared_clock

    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url)
    try:
        database.ensure_schema(engine, auto_upgrade=settings.embedded)
        database.require_rehearsal(engine, "the shared simulated clock")
    except BaseException:
        engine.dispose()
        raise
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
    try:
        moment = moment.astimezone(dt.UTC)
    except OverflowError:
        raise click.BadParameter(f"'{when}' is beyond the last moment a clock can show (9999-12-31 in UTC)") from None
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
