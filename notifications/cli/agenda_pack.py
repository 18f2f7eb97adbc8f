"""`cycle agenda pack BOARD MEETING --out FILE [--private] --as PERSON`: the agenda pack, for the committee manager.

Adds `pack` to the core's `agenda` group (`workflow.cli.agenda`): the pack is rendered in this layer, which the
core may not import. The public pack by default; `--private` the private part's pack. A FILE ending in `.docx`
gets the Word version of the front sheet and agenda instead of the PDF.
"""

from __future__ import annotations

from pathlib import Path

import click

from notifications.agenda_issue import AgendaPacks
from notifications.agenda_pack import pages_text
from workflow.cli.agenda import agenda_group
from workflow.cli.base import actor_option, app_for, board_meeting, out, parse_date, plain
from workflow.errors import InvalidInput
from workflow.reads.agenda_pack import pack_agenda


@agenda_group.command("pack")
@board_meeting
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the pack: a .pdf file (or .docx for the agenda in Word).")
@click.option("--private", is_flag=True, help="The private part's pack: the exempt items and their papers.")
@actor_option
@click.pass_context
def pack(ctx: click.Context, board: str, meeting: str, target: Path, private: bool, actor: str) -> None:
    """Write the agenda pack of BOARD's meeting on MEETING (the meeting's date, YYYY-MM-DD), as the members
    are sent it: the committee manager's check before or after issue."""
    day = parse_date(meeting)
    assert day is not None
    if target.suffix.lower() not in (".pdf", ".docx"):
        raise InvalidInput(f"'{target.name}' should end in .pdf (the pack) or .docx (the agenda in Word)")
    if not target.parent.is_dir():
        raise InvalidInput(f"there is no folder {target.parent} to write the pack in")
    app = app_for(ctx)
    engine = app.engine
    found = pack_agenda(engine, board, day, actor, private=private)
    if private and not found.private_items:
        raise InvalidInput(f"the agenda of the {found.title} has no private items: there is no private pack")
    made = AgendaPacks(engine, app.documents()).render(found, private, engine.clock.now(), viewer=actor)
    content = made.docx if target.suffix.lower() == ".docx" else made.pdf
    target.write_bytes(content)
    pages = "; ".join(f"item {n}: {pages_text(a, b).lower()}" for n, (a, b) in sorted(made.item_pages.items()))
    out.print(f"Wrote the {'private' if private else 'public'} pack of the {plain(found.title)} to "
              f"{plain(str(target))}{f' ({pages})' if pages and content is made.pdf else ''}.")
    for title in made.listed:
        out.print(f"  Not in the PDF, sent as its own file: {plain(title)}")
