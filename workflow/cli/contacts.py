"""`cycle contacts add|list|change|remove` and `cycle letters list|save|posted`: a cycle's people outside the directory, in the definition's case roles."""

from __future__ import annotations

import datetime as dt

import click

from workflow.cli.base import (
    ROW_ID,
    actor_option,
    app_for,
    emit_json,
    json_option,
    main,
    out,
    plain,
)
from workflow.commands import contacts as commands
from workflow.commands.contacts import Contact
from workflow.commands.letters import mark_posted
from workflow.definition.formatting import long_date, utc_stamp
from workflow.reads import contacts as reads


@main.group()
def contacts() -> None:
    """People outside the directory who take part in one cycle (a family contact): written to, never shown papers."""


def _said(contact: Contact) -> str:
    by = [x for x in (contact.email, contact.address.replace("\n", ", ") if contact.address else None) if x]
    return f"{contact.id}  {plain(contact.role_title)}: {plain(contact.name)} ({plain('; '.join(by))})"


@contacts.command("add")
@click.argument("cycle")
@click.option("--role", required=True, help="The case role, from the definition's case_roles.")
@click.option("--name", required=True, help="Their name, as letters are addressed.")
@click.option("--email", help="Their email address.")
@click.option("--address", help="Their postal address (lines separated by commas), for letters by post.")
@actor_option
@click.pass_context
def add(ctx: click.Context, cycle: str, role: str, name: str, email: str | None, address: str | None,
        actor: str) -> None:
    """Give CYCLE a contact in a case role, with an email, a postal address or both."""
    added = commands.add(app_for(ctx).engine, cycle, actor, role=role, name=name, email=email, address=address)
    out.print(f"Added contact {_said(added)}.")


@contacts.command("list")
@click.argument("cycle")
@click.option("--role", help="Only this case role.")
@actor_option
@json_option
@click.pass_context
def list_contacts(ctx: click.Context, cycle: str, role: str | None, actor: str, as_json: bool) -> None:
    """The contacts of CYCLE (personal data: for the roles the definition lets manage them)."""
    found = reads.contacts(app_for(ctx).engine, cycle, actor, role=role)
    if as_json:
        emit_json([{"id": c.id, "role": c.role, "name": c.name, "email": c.email, "address": c.address}
                   for c in found])
        return
    for contact in found:
        out.print(_said(contact))
    if not found:
        out.print(f"{plain(cycle)} has no contacts{' in that role' if role else ''}.")


@contacts.command("change")
@click.argument("cycle")
@click.argument("contact_id", type=ROW_ID, metavar="CONTACT")
@click.option("--role", help="Their new case role.")
@click.option("--name", help="Their name, as letters are addressed.")
@click.option("--email", help="Their email address ('' to remove it).")
@click.option("--address", help="Their postal address, lines separated by commas ('' to remove it).")
@actor_option
@click.pass_context
def change(ctx: click.Context, cycle: str, contact_id: int, role: str | None, name: str | None, email: str | None,
           address: str | None, actor: str) -> None:
    """Change contact CONTACT of CYCLE: only what is given changes; the history keeps digests, never the values."""
    changed, what = commands.change(app_for(ctx).engine, cycle, actor, contact_id, role=role, name=name,
                                    email=commands.KEEP if email is None else email,
                                    address=commands.KEEP if address is None else address)
    said = f"changed {', '.join(what)}" if what else "nothing changed"
    out.print(f"Contact {_said(changed)}: {said}.")


@contacts.command("remove")
@click.argument("cycle")
@click.argument("contact_id", type=ROW_ID, metavar="CONTACT")
@actor_option
@click.pass_context
def remove(ctx: click.Context, cycle: str, contact_id: int, actor: str) -> None:
    """Stop writing to contact CONTACT of CYCLE (the record of who it was stays)."""
    removed = commands.remove(app_for(ctx).engine, cycle, actor, contact_id)
    out.print(f"Removed contact {_said(removed)}: nothing more is sent to them.")


@main.group()
def letters() -> None:
    """Letters for post: reminders to a cycle's contacts who have no email, produced as PDFs for an officer to send."""


@letters.command("list")
@click.argument("cycle")
@click.option("--to-post", is_flag=True, help="Only the letters not yet marked posted.")
@actor_option
@click.pass_context
def list_letters(ctx: click.Context, cycle: str, to_post: bool, actor: str) -> None:
    """The letters CYCLE's reminders produced for post, with whom each goes to."""
    found = reads.letters(app_for(ctx).engine, cycle, actor, to_post=to_post)
    for letter in found:
        address = (letter.contact.address or "").replace("\n", ", ")
        posted = f"  posted on {long_date(letter.posted_on)} by {letter.posted_by}" if letter.posted_on else ""
        out.print(f"{letter.id}  {utc_stamp(letter.created_at)}  {plain(letter.subject)}  to "
                  f"{plain(letter.contact.name)} ({plain(letter.contact.role_title)}), {plain(address)}{plain(posted)}")
    if not found:
        out.print(f"{plain(cycle)} has no letters{' to post' if to_post else ' for post'}.")


@letters.command("save")
@click.argument("cycle")
@click.argument("letter_id", type=ROW_ID, metavar="LETTER")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True), help="The PDF to write.")
@actor_option
@click.pass_context
def save_letter(ctx: click.Context, cycle: str, letter_id: int, output: str, actor: str) -> None:
    """Write letter LETTER of CYCLE to a PDF file, to print and post."""
    content = reads.letter_pdf(app_for(ctx).engine, cycle, actor, letter_id)
    with open(output, "wb") as handle:
        handle.write(content)
    out.print(f"Letter {letter_id} written to {plain(output)} ({len(content):,} bytes).")


@letters.command("posted")
@click.argument("letter_id", type=ROW_ID, metavar="LETTER")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day it was posted (year-month-day); "
              "today when not given.")
@actor_option
@click.pass_context
def posted(ctx: click.Context, letter_id: int, on: dt.datetime | None, actor: str) -> None:
    """Mark letter LETTER posted: it leaves the letters to post, and the history says who posted it and when."""
    marked = mark_posted(app_for(ctx).engine, letter_id, actor, on.date() if on else None)
    out.print(f"Letter {marked.letter} of {marked.cycle} marked posted on {long_date(marked.posted_on)}.")
