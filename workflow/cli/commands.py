"""`cycle start`, `fire`, `decide`, `rescind`, `attach`, `migrate`: the commands that change a cycle."""

from __future__ import annotations

from pathlib import Path

import click

from workflow.cli.base import (
    YEAR,
    _names,
    actor_option,
    app_for,
    emit_json,
    json_option,
    main,
    out,
    parse_date,
    plain,
)
from workflow.cli.case_fields import field_option, field_pairs
from workflow.commands.decision_rules import priority_of
from workflow.engine import Recorded
from workflow.errors import InvalidInput


@main.command()
@click.argument("definition")
@click.option("--year", type=YEAR, help="The year the cycle begins (2021 for the 2022 strategy); a case's "
              "defaults to this year.")
@click.option("--reference", help="The case's reference, when its definition has the starter type it.")
@actor_option
@click.option("--comment", help="A note for the history.")
@click.option("--outside-folder", is_flag=True,
              help="Start from a file outside the definitions folder (an administrator's act; never a folder id).")
@field_option
@click.pass_context
def start(ctx: click.Context, definition: str, year: int | None, reference: str | None, actor: str,
          comment: str | None, outside_folder: bool, field: tuple[str, ...]) -> None:
    """Start a cycle of DEFINITION (an id, or a definition file's path) for a year, or a case of it."""
    engine = app_for(ctx).engine
    # The operator, on the server's own command line, may name a file (a draft with --outside-folder):
    # resolved here into a Path, which the engine takes as a file; a web request's text is only ever an id.
    result = engine.start(engine.catalog.resolve_file(definition), year, actor, comment=comment,
                          outside_folder=outside_folder, reference=reference, fields=field_pairs(field))
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
        try:
            priorities.append(priority_of(text))
        except InvalidInput as exc:
            raise click.BadParameter(str(exc), param_hint="--priority") from None
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
        out.print(f"Decision {result.decision_id}: the {result.board_name or result.board} rescinded decision "
                  f"{result.supersedes} on '{result.item_title or result.item}'.")
        return
    amended = f", amending decision {result.supersedes}" if result.supersedes else ""
    out.print(f"Decision {result.decision_id}{amended}: {result.board_name or result.board} on "
              f"'{result.item_title or result.item}': "
              f"[bold]{result.outcome.upper()}[/] "
              f"({result.votes_for} for, {result.votes_against} against, {result.abstentions} abstaining; "
              f"{result.voting_present} voting members present, quorum {result.quorum}).")


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
