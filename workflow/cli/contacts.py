"""`cycle contacts add|list|remove`: a cycle's people outside the directory, in the definition's case roles."""

from __future__ import annotations

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


@contacts.command("remove")
@click.argument("cycle")
@click.argument("contact_id", type=ROW_ID, metavar="CONTACT")
@actor_option
@click.pass_context
def remove(ctx: click.Context, cycle: str, contact_id: int, actor: str) -> None:
    """Stop writing to contact CONTACT of CYCLE (the record of who it was stays)."""
    removed = commands.remove(app_for(ctx).engine, cycle, actor, contact_id)
    out.print(f"Removed contact {_said(removed)}: nothing more is sent to them.")
