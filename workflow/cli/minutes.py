"""`cycle minutes draft|show|edit|approve BOARD MEETING`: a board meeting's minutes, MEETING being its day.

The committee manager drafts the minutes from the decisions recorded, writes each minute's narrative in a
YAML file (`SMK12: The Partnership noted ...`), and records that the next meeting approved them. Members
read them with `show`; a private minute only if entitled to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import click
import yaml

from workflow.cli.base import (
    actor_option,
    app_for,
    board_meeting,
    emit_json,
    json_option,
    main,
    member_option,
    out,
    plain,
    withheld_note,
)
from workflow.commands.minutes import approve_minutes, draft_minutes, edit_minutes
from workflow.definition.formatting import written_date
from workflow.definition.textfile import NotReadable, read_limited
from workflow.errors import InvalidInput
from workflow.reads.minutes import Minutes, minutes_of

FILE_MAX = 1_000_000  # bytes of a narratives file


def meeting_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a meeting day; give the day the board met, as YYYY-MM-DD",
                                 param_hint="MEETING") from None


@main.group()
def minutes() -> None:
    """Draft, edit, show and approve the minutes of a board meeting (MEETING is the day it met, YYYY-MM-DD)."""


@minutes.command("draft")
@board_meeting
@actor_option
@click.pass_context
def draft(ctx: click.Context, board: str, meeting: str, actor: str) -> None:
    """Number the minutes of BOARD's MEETING and save the draft from the decisions recorded."""
    saved = draft_minutes(app_for(ctx).engine, board, meeting_day(meeting), actor)
    said = "drafted" if saved.created else "were drafted already"
    out.print(f"Minutes of {written_date(saved.day)} {said}: version {saved.version}, sha256 {saved.sha256}")


@minutes.command("show")
@board_meeting
@member_option
@json_option
@click.pass_context
def show(ctx: click.Context, board: str, meeting: str, reader: str, as_json: bool) -> None:
    """Show the minutes of BOARD's MEETING as PERSON may read them."""
    found = minutes_of(app_for(ctx).engine, board, meeting_day(meeting), reader)
    if as_json:
        emit_json({**dataclasses.asdict(found), "heading": found.heading})
    else:
        out.print(plain(as_text(found)))
    withheld_note(found.withheld, reader, "private minute")


def as_text(found: Minutes) -> str:
    status = {"approved": f"approved on {written_date(found.approved_on)} and signed by the chair, "
                          f"{found.signed_by}" if found.approved_on else "approved",
              "draft": f"DRAFT, version {found.version}", "not drafted": "not drafted yet"}[found.status]
    lines = [found.heading, f"({status})", ""]
    for label, people in (("Present", found.present), ("Co-opted members without voting rights", found.co_opted),
                          ("Observers", found.observers), ("Officers", found.officers),
                          ("Apologies", found.apologies)):
        if people:
            lines += [f"{label}: " + "; ".join(people), ""]
    for minute in found.minutes:
        lines += [f"{minute.number} {minute.title}", *([minute.narrative] if minute.narrative else []),
                  *minute.interests, *([minute.lead] if minute.lead else []), *minute.resolved,
                  *([f"({minute.vote})"] if minute.vote else []), ""]
    return "\n".join(lines).rstrip()


@minutes.command("edit")
@board_meeting
@click.option("--file", "file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A YAML file: each minute's number and its narrative, e.g. 'SMK12: The Partnership noted ...'.")
@actor_option
@click.pass_context
def edit(ctx: click.Context, board: str, meeting: str, file: Path, actor: str) -> None:
    """Save a new version of the minutes of BOARD's MEETING with the narratives in --file."""
    narratives = read_narratives(file)
    saved = edit_minutes(app_for(ctx).engine, board, meeting_day(meeting), actor, narratives)
    if saved.created:
        out.print(f"Minutes of {written_date(saved.day)} saved: version {saved.version}, sha256 {saved.sha256}")
    else:
        out.print(f"Minutes of {written_date(saved.day)} unchanged: still version {saved.version}")


def read_narratives(file: Path) -> dict[str, str]:
    try:
        text = read_limited(file, FILE_MAX).decode("utf-8")
    except NotReadable as exc:  # /dev/zero, a pipe, or too large: refused without reading it whole
        raise InvalidInput(f"{file} {exc}; give the narratives' YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc.__class__.__name__}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{file} is not valid YAML{where}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InvalidInput(f"{file} should map each minute's number to its narrative, e.g. "
                           "'SMK12: The Partnership noted ...'")
    return {str(k): v for k, v in data.items()}


@minutes.command("approve")
@board_meeting
@click.option("--at", "at", required=True, help="The day of the meeting that approved them (YYYY-MM-DD).")
@actor_option
@click.pass_context
def approve(ctx: click.Context, board: str, meeting: str, at: str, actor: str) -> None:
    """Record that the meeting on --at approved the minutes of BOARD's MEETING and the chair signed them."""
    try:
        approved_on = dt.date.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(f"'{at}' is not a date; use YYYY-MM-DD", param_hint="--at") from None
    done = approve_minutes(app_for(ctx).engine, board, meeting_day(meeting), actor, at=approved_on)
    out.print(f"Minutes of {written_date(done.day)} approved on {written_date(done.approved_on)} and signed by "
              f"{done.chair} (version {done.version}, sha256 {done.sha256}); they can no longer be changed.")
