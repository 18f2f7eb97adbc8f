"""`cycle meeting move` and `cycle meeting cancel`: a board's meeting moved or cancelled, with the dates that follow it."""

from __future__ import annotations

import datetime as dt

import click

from workflow.cli.base import (
    actor_option,
    app_for,
    main,
    out,
    parse_date,
)
from workflow.commands.meetings import change_meeting
from workflow.definition.formatting import long_date


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
    out.print(f"'{meeting_id}' moved to {long_date(change.day)}{at} (update {change.sequence}); "
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
