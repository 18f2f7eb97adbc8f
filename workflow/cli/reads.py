"""`cycle list`, `status`, `history`, `mywork`: what a cycle and a person's work look like, changing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from workflow.app import App
from workflow.cli.base import (
    actor_option,
    app_for,
    emit_json,
    json_option,
    main,
    out,
    plain,
    reader_option,
    withheld_note,
)
from workflow.definition.formatting import table_date
from workflow.reads.case_data import CONTACT_ACTIONS, HISTORY_ACTIONS

EXPECT_MAX = 64 * 1024 * 1024  # bytes of an earlier `cycle history verify --json`: many thousand cycles' worth


@main.command(name="list")
@click.argument("definition", required=False)
@reader_option
@json_option
@click.pass_context
def list_(ctx: click.Context, definition: str | None, reader: str | None, as_json: bool) -> None:
    """List cycles; with DEFINITION, the register of its open instances: stage, next date, how late."""
    if definition is not None:
        show_register(app_for(ctx), definition, reader, as_json)
        return
    engine = app_for(ctx).engine
    rows = engine.list_cycles()
    hidden = engine.hidden_cycles([r["id"] for r in rows if r["status"] == "active"],
                                  lambda d: reader if reader in d.people else None)
    rows = [r for r in rows if r["id"] not in hidden]  # as the register withholds them from the not entitled
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


def show_register(app: App, definition: str, reader: str | None, as_json: bool) -> None:
    found = app.engine.register(definition, reader)
    if as_json:
        emit_json(found.json())
        return
    if not found.instances and not found.withheld:
        out.print(f"No open instance of {plain(found.title)} ({found.definition}).")
        return
    table = Table(title=f"{plain(found.title)}: open instances", title_justify="left")
    for col in ("instance", "started", "stage", "next date", "late"):
        table.add_column(col)
    for i in found.instances:
        left = i.working_days_left
        late = ("" if left is None else f"[red]{i.days_late} working days[/]" if i.days_late
                else "due today" if left == 0 else f"{left} working days left")
        table.add_row(i.cycle, table_date(i.started_on), plain(i.stage_title),
                      table_date(i.due) if i.due else "", late)
    if found.instances:
        out.print(table)
    if found.withheld:
        out.print(found.withheld_sentence())


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
        out.print(f"Due: {table_date(s.due)} ({when})")
    if s.fields:
        table = Table(title="Case details", title_justify="left")
        for col in ("field", "value"):
            table.add_column(col)
        for f in s.fields:
            table.add_row(plain(f.title) + (" [yellow](personal)[/]" if f.personal else ""), plain(f.value or "-"))
        out.print(table)
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
@click.option("--expect", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="verify: an earlier run's --json output; fewer rows or another hash since then is named.")
@click.pass_context
def history(ctx: click.Context, cycle: str, verify_cycle: str | None, reader: str | None, as_json: bool,
            expect: Path | None) -> None:
    """The append-only history of CYCLE; 'cycle history verify [CYCLE]' checks its hash chain, its seals,
    its decisions and where each cycle stands."""
    if cycle == "verify":
        _verify_history(app_for(ctx), verify_cycle, as_json, expect)
        return
    if expect is not None:
        raise click.UsageError("--expect is for 'cycle history verify'")
    if verify_cycle is not None:
        raise click.UsageError(f"'cycle history' takes one cycle; did you mean 'cycle history verify {verify_cycle}'?")
    rows = app_for(ctx).engine.history(cycle, reader)
    if as_json:
        emit_json(rows)
        return
    withheld_note(sum(1 for h in rows if h["action"] == "attach" and h["data"].get("withheld")), reader,
                  "exempt attachment")
    withheld_note(sum(1 for h in rows if h["action"] != "attach" and h["data"].get("withheld")), reader,
                  "decision's comment and reason", "decisions' comments and reasons")
    table = Table()
    for col in ("#", "when (UTC)", "who", "what", "from", "to", "comment"):
        table.add_column(col)
    for h in rows:
        what = h["action"] if not h["trigger"] else h["trigger"]
        if h["strand"]:
            what = f"{h['strand']}: {what}"
        if h["action"] == "decide":
            what = f"decision: {h['data']['board']} {h['data']['item']} {h['data']['outcome']}" + (
                f" (withheld: {h['data']['withheld']})" if h["data"].get("withheld") else "")
        if h["action"] == "document":
            what = f"document {h['data']['document_id']} made ({h['data']['spec']}, {h['data']['version']})"
        if h["action"] in HISTORY_ACTIONS:
            what = fields_summary(h)
        if h["action"] == "attach":
            what = f"attached {h['data']['paper']}" + (" (exempt, withheld)" if h["data"].get("withheld")
                                                        else " (exempt)" if h["data"].get("exempt") else "")
        table.add_row(str(h["id"]), h["at"][:16].replace("T", " "), h["actor"], plain(what), h["from"] or "",
                      h["to"] or "", plain(h["comment"] or ""))
    out.print(table)


@main.command()
@actor_option
@json_option
@click.option("--waiting", is_flag=True,
              help="Only what PERSON waits for from others; with --json, that list instead of the list to do.")
@click.pass_context
def mywork(ctx: click.Context, actor: str, as_json: bool, waiting: bool) -> None:
    """What PERSON (--as: an id or an email) must do now in every running cycle, overdue first, and what they wait
    for from others (from whom, since when, due when). --json prints the list to do; --waiting --json the list
    waited for."""
    from workflow.reads.mywork import work_of

    work = work_of(app_for(ctx).engine, actor)
    if as_json:
        emit_json(work.waiting_json() if waiting else work.to_do_json())
        return
    if waiting:
        if not work.waiting_for:
            out.print(f"{plain(actor)} waits for nobody in the running cycles just now")
    elif not work.to_do:
        out.print(f"nothing for {plain(actor)} to do in the running cycles just now"
                  + (": they wait for others, as below" if work.waiting_for else ""))
    else:
        table = Table(title="To do")
        for col in ("cycle", "what", "due", "working days"):
            table.add_column(col)
        for i in work.to_do:
            table.add_row(i.cycle, plain(i.title), table_date(i.due), _left(i.working_days_left))
        out.print(table)
    if work.waiting_for:
        waits = Table(title="Waiting for")
        for col in ("cycle", "what", "from whom", "since", "due", "working days"):
            waits.add_column(col)
        for w in work.waiting_for:
            waits.add_row(w.cycle, plain(w.title), plain(w.from_whom), table_date(w.since), table_date(w.due),
                          _left(w.working_days_left))
        out.print(waits)


def fields_summary(h: dict[str, Any]) -> str:
    """A fields row: each value set (a personal one only as 'recorded as a digest'), or the fields erased."""
    if h["action"] in CONTACT_ACTIONS:
        data = h["data"]
        if "letter" in data:
            return f"letter {data['letter']} posted on {data.get('posted_on')}"
        values = ", ".join(data.get("values", {}))
        return (f"{h['action'].replace('_', ' ')} {data.get('contact')} ({data.get('role')})"
                + (f": {values} recorded as digests" if values else ""))
    if h["action"] == "erase":
        return "personal fields erased: " + ", ".join(h["data"].get("erased", []))
    said = [f"{name} = {value}" if isinstance(value, str) else f"{name} (personal: recorded as a digest)"
            for name, value in h["data"].get("fields", {}).items()]
    return "fields set: " + "; ".join(said)


def _left(days: int | None) -> str:
    return "" if days is None else f"[red]{-days} overdue[/]" if days < 0 else str(days)
def _verify_history(app: App, cycle: str | None, as_json: bool, expect_file: Path | None) -> None:
    from workflow.definition.textfile import NotReadable, read_limited
    from workflow.errors import AuditTrailBroken, InvalidInput
    from workflow.reads.audit_report import lines, read_expect, verify

    expect = None
    if expect_file is not None:
        try:
            expect = read_expect(read_limited(expect_file, EXPECT_MAX).decode("utf-8"), str(expect_file))
        except NotReadable as exc:  # /dev/zero, a pipe, or too large: refused without reading it whole
            raise InvalidInput(f"{expect_file} {exc}; give the file an earlier 'cycle history verify --json' wrote") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{expect_file} cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    with app.engine.sessions() as session:
        cycle_id = None if cycle is None else app.engine.cycle_id(session, cycle)
        result = verify(app.engine, session, cycle_id=cycle_id, sealer=app.engine.sealer, expect=expect,
                        definition_of=lambda d, v: app.engine.catalog.snapshot(session, d, v))
    if as_json:
        emit_json(result.as_json())
    else:
        for line in lines(result):
            out.print(plain(line))
        for problem in result.problems:
            out.print(f"[red]✗[/] {plain(problem)}")
    if result.problems:
        raise AuditTrailBroken(f"the history of {sum(1 for c in result.cycles if c.problems)} cycle(s) does not "
                               "match its hash chain or the tables it records; restore the database from a backup "
                               "taken before the rows named above")
    if not as_json:
        out.print(f"[green]✓[/] {result.rows} history rows in {len(result.cycles)} cycle(s) match their hash chain")
