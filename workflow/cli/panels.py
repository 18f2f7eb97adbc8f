"""`cycle panel choose`: the members of a cycle's panel, chosen at its stage and independent where the definition
says so."""

from __future__ import annotations

import click

from workflow.cli.base import actor_option, app_for, main, out
from workflow.commands.panels import choose_panel


@main.group()
def panel() -> None:
    """Choose the members of a cycle's panel (a stage's `panel:` in its definition)."""


@panel.command("choose")
@click.argument("cycle")
@click.option("--panel", "panel_id", required=True, metavar="PANEL", help="The panel's id in the definition.")
@click.option("--member", "members", multiple=True, required=True, metavar="PERSON",
              help="A member chosen, by their id in the directory; repeat for each.")
@click.option("--comment", help="A note for the history.")
@actor_option
@click.pass_context
def choose(ctx: click.Context, cycle: str, panel_id: str, members: tuple[str, ...], comment: str | None,
           actor: str) -> None:
    """Choose the members of PANEL for CYCLE; a choice that shares someone with a board or panel it must be
    independent of is refused, and nothing is written."""
    chosen = choose_panel(app_for(ctx).engine, cycle, panel_id, list(members), actor, comment=comment)
    again = f" (choice {chosen.choice}, in place of the earlier one)" if chosen.choice > 1 else ""
    out.print(f"the {chosen.name} of {chosen.cycle} is chosen{again}: {', '.join(chosen.members)}")
