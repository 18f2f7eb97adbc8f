"""`cycle agenda show|add|move|withdraw|issue BOARD MEETING`: a board meeting's agenda and the committee manager's
changes to it. MEETING is the meeting's date (YYYY-MM-DD)."""

from __future__ import annotations

import datetime as dt

import click

from workflow.cli.base import (
    F,
    actor_option,
    app_for,
    as_option,
    board_meeting,
    emit_json,
    err,
    json_option,
    main,
    out,
    plain,
)
from workflow.commands import agenda as commands
from workflow.commands.agenda_items import spoken_time
from workflow.definition.formatting import long_date, written_date
from workflow.reads.agenda import Agenda, AgendaItem, AgendaMember, agenda, public_agenda
from workflow.time.clock import local_date

MEETING_HELP = "MEETING is the meeting's date, YYYY-MM-DD (e.g. 2021-07-13)."


@main.group("agenda")
def agenda_group() -> None:
    """A board meeting's agenda: show it; the committee manager adds, moves, withdraws items and issues it.

    BOARD is the board's id in the definition (e.g. mk_together); MEETING is the meeting's date, YYYY-MM-DD.
    """


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a date; give the meeting's date as YYYY-MM-DD",
                                 param_hint="MEETING") from None


def _reissue(func: F) -> F:
    return click.option("--reissue", is_flag=True,
                        help="Change an agenda already issued: it must then be issued again, as its next version.")(func)


def _people(heading: str, members: tuple[AgendaMember, ...]) -> None:
    if members:
        out.print(f"\n{heading}")
        for member in members:
            out.print(f"  {plain(member.name)}\t{plain(member.title)}")


def _item(item: AgendaItem) -> None:
    out.print(f"\n{item.number}. {plain(item.title)}")
    if item.description:
        out.print(f"   {plain(item.description)}")
    facts: list[str] = [item.purpose] if item.purpose else []
    if item.author_name:
        facts.append(f"Report of {item.author_name}, {item.author_title}")
    if item.exempt_paragraph:
        facts.append(f"Exempt: Schedule 12A, paragraph {item.exempt_paragraph}")
    if facts:
        out.print(f"   {plain(' · '.join(facts))}")
    for paper in item.papers:
        out.print(f"   Paper: {plain(paper.title)} ({plain(paper.file_name)})")
    out.print(f"   [dim]key: {plain(item.key)}[/]")


def show_agenda(found: Agenda, today: dt.date) -> None:
    when = f"{spoken_time(found.start)} " if found.start else ""
    out.print(f"[bold]{plain(found.board_name.upper())}[/]\n")
    out.print(f"When: {when}{long_date(found.day)}")
    if found.venue:
        out.print(f"Where: {plain(found.venue)}")
    if found.remote_link:
        out.print(f"Join online: {plain(found.remote_link)}")
    if found.manager_name:
        out.print(f"Enquiries: {plain(found.manager_name)}, {plain(found.manager_email)}")
    if found.issued is not None:
        changed = "; changed since: issue it again" if found.changed_since_issue else ""
        out.print(f"Issued: version {found.issued.version} on {written_date(local_date(found.issued.issued_at))}"
                  f"{changed}")
    elif found.issue_by is not None:
        late = " (the notice period has started: issue it now)" if today > found.issue_by else ""
        out.print(f"Issue by {long_date(found.issue_by)}{late}")
    out.print("\n[bold]MEMBERSHIP[/]")
    _people("Members with voting rights:", found.membership.voting)
    chair = found.membership.chair
    if chair is not None:
        _people("Chair:" if found.membership.chair_votes else "Non-voting chair:", (chair,))
    _people("Non-voting advisors:", found.membership.advisors)
    _people("Observers:", found.membership.observers)
    _people("Officers:", found.membership.officers)
    out.print("\n[bold]AGENDA[/]")
    for item in found.public_items:
        _item(item)
    if found.private_items:
        out.print("\n[bold]PRIVATE ITEMS[/] (exempt from publication)")
        for item in found.private_items:
            _item(item)


@agenda_group.command("show")
@board_meeting
@as_option("reader", required=False,
           help="Whose view: a member of the board or its committee manager; private items only for those "
                "entitled to them (without --as, the public view).")
@json_option
@click.pass_context
def show(ctx: click.Context, board: str, meeting: str, reader: str | None, as_json: bool) -> None:
    """Show the agenda of BOARD's meeting on MEETING (the meeting's date, YYYY-MM-DD)."""
    engine = app_for(ctx).engine
    day = _day(meeting)
    found = agenda(engine, board, day, reader) if reader else public_agenda(engine, board, day)
    if as_json:
        emit_json(found.json())
    else:
        show_agenda(found, local_date(engine.clock.now()))
    if found.exempt_paragraphs and not found.private_items:
        why = f"{reader} is not entitled to see it" if reader else "give --as a person entitled to see it"
        err.print(f"[yellow]note:[/] the private part (exempt under Schedule 12A) is withheld: {plain(why)}.")


@agenda_group.command("add")
@board_meeting
@click.option("--title", required=True, help="The item's title, as the agenda prints it.")
@click.option("--purpose", type=click.Choice(["For decision", "For information", ""]), default="",
              help="What the board does with it.")
@click.option("--author", metavar="PERSON", help="Whose report it is: a person id from the directory.")
@click.option("--exempt", type=int, metavar="PARAGRAPH",
              help="Exempt from publication under this paragraph (1-7) of Schedule 12A: a private item.")
@click.option("--description", default="", help="The line under the title, e.g. 'To receive a presentation'.")
@_reissue
@actor_option
@click.pass_context
def add(ctx: click.Context, board: str, meeting: str, title: str, purpose: str, author: str | None,
        exempt: int | None, description: str, reissue: bool, actor: str) -> None:
    """Add an item to the agenda of BOARD's meeting on MEETING (YYYY-MM-DD)."""
    found = commands.add_item(app_for(ctx).engine, board, _day(meeting), actor, title=title, purpose=purpose,
                              author=author, exempt=exempt, description=description, reissue=reissue)
    item = next(i for i in reversed(found.items) if i.key.startswith("added:"))
    out.print(f"Added as item {item.number}: {plain(item.title)} (key {item.key}).")


@agenda_group.command("move")
@board_meeting
@click.argument("item")
@click.option("--to", "to", type=int, help="The place among the items of its part (public or private), from 1.")
@click.option("--up", is_flag=True, help="One place up.")
@click.option("--down", is_flag=True, help="One place down.")
@_reissue
@actor_option
@click.pass_context
def move(ctx: click.Context, board: str, meeting: str, item: str, to: int | None, up: bool, down: bool,
         reissue: bool, actor: str) -> None:
    """Move ITEM (its number or key) of the agenda of BOARD's meeting on MEETING (YYYY-MM-DD)."""
    found = commands.move_item(app_for(ctx).engine, board, _day(meeting), actor, item, to=to, up=up, down=down,
                               reissue=reissue)
    out.print("The agenda is now:")
    for entry in found.items:
        out.print(f"  {entry.number}. {plain(entry.title)}")


@agenda_group.command("withdraw")
@board_meeting
@click.argument("item")
@click.option("--reason", required=True, help="Why it is withdrawn.")
@_reissue
@actor_option
@click.pass_context
def withdraw(ctx: click.Context, board: str, meeting: str, item: str, reason: str, reissue: bool,
             actor: str) -> None:
    """Withdraw ITEM (its number or key) from the agenda of BOARD's meeting on MEETING (YYYY-MM-DD)."""
    found = commands.withdraw_item(app_for(ctx).engine, board, _day(meeting), actor, item, reason=reason,
                                   reissue=reissue)
    out.print(f"Withdrawn; the agenda has {len(found.items)} items.")


@agenda_group.command("issue")
@board_meeting
@actor_option
@click.pass_context
def issue(ctx: click.Context, board: str, meeting: str, actor: str) -> None:
    """Issue the agenda of BOARD's meeting on MEETING (YYYY-MM-DD); the pack is then sent to the members."""
    done = commands.issue(app_for(ctx).engine, board, _day(meeting), actor)
    if done.late and done.agenda.issue_by is not None:
        err.print(f"[yellow]warning:[/] issued after the notice deadline ({long_date(done.agenda.issue_by)}: "
                  f"{done.agenda.notice_days} clear working days before the meeting).")
    out.print(f"Agenda issued as version {done.version}; the pack is sent to the members.")
