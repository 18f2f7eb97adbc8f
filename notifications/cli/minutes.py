"""`cycle minutes save BOARD MEETING --out FILE --as PERSON`: a meeting's minutes as the reader may see them, as a
PDF (or HTML), laid out as the council's minutes and marked DRAFT until approved."""

from __future__ import annotations

from pathlib import Path

import click

from notifications.minutes_document import minutes_html, render_minutes
from workflow.cli.base import app_for, board_meeting, member_option, out, withheld_note
from workflow.cli.minutes import meeting_day, minutes
from workflow.errors import InvalidInput, NotFound
from workflow.reads.minutes import minutes_of


@minutes.command("save")
@board_meeting
@click.option("--out", "target", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the minutes: a file in a folder that exists.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True,
              help="A PDF laid out as the council's minutes, or the same as an HTML page.")
@member_option
@click.pass_context
def save(ctx: click.Context, board: str, meeting: str, target: Path, fmt: str, reader: str) -> None:
    """Write the minutes of BOARD's MEETING to a file, with the private minutes only if PERSON is entitled."""
    if not target.parent.is_dir():
        raise NotFound(f"the folder {target.parent} does not exist; create it or give --out a file in another folder")
    found = minutes_of(app_for(ctx).engine, board, meeting_day(meeting), reader)
    content = render_minutes(found).pdf if fmt == "pdf" else minutes_html(found).encode("utf-8")
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror}") from None
    out.print(f"Wrote {target} ({len(content)} bytes): the minutes of {found.day.isoformat()}, {found.status}.")
    withheld_note(found.withheld, reader, "private minute")
