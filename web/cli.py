"""The `cycle` command, outermost layer: the core and worker commands plus `web`, `users` and `tokens`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tasks.cli import main
from workflow.cli import app_for, err, operating_system_account, out, plain
from workflow.definition.formatting import utc_stamp
from workflow.settings import Settings

from .accounts import Accounts, link_delivery
from .config import WebSettings, disagreement

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["main"]


def _accounts(ctx: click.Context) -> Accounts:
    app = app_for(ctx)
    return Accounts(app.engine, WebSettings.from_env(), link_delivery(app.engine, app.settings))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="Processes serving requests.")
def web(host: str, port: int, workers: int) -> None:
    """Serve the REST API (and the pages) on the same database and data directory as every command."""
    import uvicorn

    from tasks.metrics_dir import shared_by_processes
    from workflow.app import build

    settings = Settings.from_env()
    build(settings).close()  # the embedded database is made (or a stale schema refused) before serving
    warning = disagreement(WebSettings.from_env(), host, port)
    if warning:
        err.print(f"[yellow]warning:[/] {warning}")
    out.print(f"Serving on http://{host}:{port}/ (the API's description: http://{host}:{port}/api/v1/docs)")
    with shared_by_processes(settings.data_dir, "web"):  # /metrics sums the counters of every process
        uvicorn.run("web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    proxy_headers=True, log_level="info")


@main.group()
def users() -> None:
    """Accounts: the people of the definitions' directories who may sign in, keyed by email."""


@users.command("add")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage definitions and accounts.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, envvar="CYCLE_NEW_PASSWORD",
              help="The password (asked for when not given; or CYCLE_NEW_PASSWORD).")
@click.pass_context
def users_add(ctx: click.Context, email: str, admin: bool, password: str) -> None:
    """Give EMAIL an account with a password."""
    account = _accounts(ctx).add(email, password=password, admin=admin, by=operating_system_account())
    out.print(f"Added {plain(account.email)}{' (admin)' if account.admin else ''}.")


@users.command("invite")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage definitions and accounts.")
@click.pass_context
def users_invite(ctx: click.Context, email: str, admin: bool) -> None:
    """Give EMAIL an account and email them a one-time link to choose a password."""
    accounts = _accounts(ctx)
    account = accounts.add(email, password=None, admin=admin, by=operating_system_account())
    accounts.send_link(account.email, "invite")
    out.print(f"Invited {plain(account.email)}: the link is emailed to them.")


@users.command("reset")
@click.argument("email")
@click.pass_context
def users_reset(ctx: click.Context, email: str) -> None:
    """Email EMAIL a one-time link to set a new password (accounts are never locked: wrong passwords only slow
    further tries, and the link does not lift that)."""
    _accounts(ctx).send_link(email, "reset")
    out.print(f"A password reset link is emailed to {plain(email)}.")


@users.command("disable")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    """Stop EMAIL signing in: their sessions end and their API tokens are revoked."""
    _accounts(ctx).disable(email)
    out.print(f"Disabled {plain(email)}.")


@users.command("unlink")
@click.argument("email")
@click.pass_context
def users_unlink(ctx: click.Context, email: str) -> None:
    """Forget which identity-provider account EMAIL's account is linked to (the provider's account was replaced)."""
    from .oidc_identity import unlink

    linked = unlink(_accounts(ctx).engine, email)
    out.print(f"Unlinked {plain(email)}: the next sign-in with {plain(email)} as a verified email links it again."
              if linked else f"{plain(email)} was not linked to an identity-provider account.")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Every account."""
    for a in _accounts(ctx).all():
        flags = [f for f, on in (("admin", a.admin), ("disabled", a.disabled), ("no password", not a.password_hash),
                                 ("linked to the identity provider", a.oidc_subject is not None)) if on]
        out.print(f"{plain(a.email)}{' (' + ', '.join(flags) + ')' if flags else ''}")


DEMO_PASSWORD = "demo-only-not-for-real-use"


@users.command("demo")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The demo's folder (default: the 'demo' folder 'cycle demo' made in the data directory).")
@click.option("--definition", default="community_safety_strategy", show_default=True)
def users_demo(data_dir: Path | None, definition: str) -> None:
    """Accounts for every person of the demo, with one password for the demo only; says how to sign in."""
    import dataclasses

    from workflow.app import build

    settings = Settings.from_env()
    data_dir = data_dir or settings.data_dir / "demo"
    demo = dataclasses.replace(settings, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'cycle.db'}")
    app = build(demo)
    try:
        accounts = Accounts(app.engine, WebSettings(secure_cookies=False))
        people = app.engine.catalog.load(definition).people
        officer = people.get("head_of_partnerships") or next(iter(people.values()))
        existing = {a.email for a in accounts.all()}
        for person in people.values():
            if person.email.lower() not in existing:
                # The officer who runs the demo cycle is its admin too, so every page can be looked at.
                accounts.add(person.email, password=DEMO_PASSWORD, admin=person is officer,
                             by=operating_system_account())
    finally:
        app.close()
    command = sys.argv[0] if sys.argv[0].endswith("cycle") else "cycle"
    out.print(f"\n[bold]Open the demo in a browser[/]: {len(people)} accounts, one for each of its people, with the "
              f"demo-only password [bold]{DEMO_PASSWORD}[/]")
    out.print(f"  1. CYCLE_DATA_DIR={data_dir} CYCLE_WEB_SECURE_COOKIES=false {command} web")
    out.print(f"  2. open http://127.0.0.1:8000/ and sign in as {plain(officer.email)} ({plain(officer.title)}, "
              "an admin too: Definitions and Operations),")
    out.print(f"     or as any other person of the cycle: 'CYCLE_DATA_DIR={data_dir} {command} users list' names them.")


@main.group()
def tokens() -> None:
    """Personal API tokens, for scripts: sent as 'Authorization: Bearer <token>'."""


def _as(func: F) -> F:
    return click.option("--as", "email", required=True, metavar="EMAIL", help="Whose token: an account's email.")(func)


@tokens.command("create")
@_as
@click.option("--name", default="script", show_default=True, help="What the token is for.")
@click.pass_context
def tokens_create(ctx: click.Context, email: str, name: str) -> None:
    """Make a token; it is shown this once and stored only as a hash."""
    secret = _accounts(ctx).create_token(email, name)
    click.echo(secret)


@tokens.command("list")
@_as
@click.pass_context
def tokens_list(ctx: click.Context, email: str) -> None:
    """The tokens of an account (never their secrets)."""
    for t in _accounts(ctx).tokens(email):
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        out.print(f"{t.id}  {plain(t.name)}  created {utc_stamp(t.created_at)}  {state}")


@tokens.command("revoke")
@_as
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx: click.Context, email: str, token_id: int) -> None:
    """Revoke token TOKEN_ID of an account."""
    _accounts(ctx).revoke_token(email, token_id)
    out.print(f"Token {token_id} revoked.")
