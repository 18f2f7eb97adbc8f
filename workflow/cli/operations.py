"""`cycle db ...` and `cycle clock ...`: the operator's schema and shared-clock commands."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from workflow.cli.base import (
    main,
    out,
    plain,
)
from workflow.settings import Settings
from workflow.store import db as database


@main.group()
def db() -> None:
    """Database schema: the embedded database upgrades itself; PostgreSQL needs 'cycle db upgrade'."""


@db.command()
@click.option("--rehearsal", is_flag=True,
              help="Mark a new, empty database as a rehearsal's: simulated clocks allowed, every row marked.")
def upgrade(rehearsal: bool) -> None:
    """Bring the database schema up to date."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url, **settings.engine_options)
    try:
        database.upgrade(engine)
        if rehearsal:
            database.mark_rehearsal(engine)
        kind = " (a rehearsal database)" if database.is_rehearsal(engine) else ""
        out.print(f"Database at revision {database.current_revision(engine)}{kind}.")
    finally:
        engine.dispose()


@db.command()
@click.option("--app-role", "role", required=True, help="The PostgreSQL role the application connects as.")
def grant(role: str) -> None:
    """Give ROLE what the application needs and no more: insert and read only on the audit tables."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url, **settings.engine_options)
    try:
        database.grant_app_role(engine, role)
        out.print(f"'{plain(role)}' may now run strategy-cycle here; it can add to the audit tables but never "
                  "change them.")
    finally:
        engine.dispose()


@db.command()
def current() -> None:
    """Show the database's schema revision and the latest this version knows."""
    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url, **settings.engine_options)
    try:
        out.print(f"current: {database.current_revision(engine) or '(empty)'}; latest: {database.head_revision()}")
    finally:
        engine.dispose()


@main.group()
def clock() -> None:
    """The shared simulated clock, for rehearsals (processes started with CYCLE_CLOCK=shared read it)."""


def _shared_clock() -> tuple[Any, Any]:
    from workflow.app import shared_clock

    settings = Settings.from_env()
    engine = database.make_engine(settings.database_url, **settings.engine_options)
    try:
        database.ensure_schema(engine, auto_upgrade=settings.embedded)
        database.require_rehearsal(engine, "the shared simulated clock")
    except BaseException:
        engine.dispose()
        raise
    return engine, shared_clock(engine)


@clock.command(name="set")
@click.argument("when")
def clock_set(when: str) -> None:
    """Set the shared clock to WHEN (ISO 8601; UTC unless an offset is given)."""
    try:
        moment = dt.datetime.fromisoformat(when)
    except ValueError:
        raise click.BadParameter(f"'{when}' is not a date and time; use ISO 8601, such as 2021-08-19T10:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        moment = moment.astimezone(dt.UTC)
    except OverflowError:
        raise click.BadParameter(f"'{when}' is beyond the last moment a clock can show (9999-12-31 in UTC)") from None
    engine, shared = _shared_clock()
    try:
        shared.set(moment)
        out.print(f"The shared clock reads {moment.isoformat()}.")
    finally:
        engine.dispose()


@clock.command(name="show")
def clock_show() -> None:
    """Show the shared clock."""
    engine, shared = _shared_clock()
    try:
        out.print(shared.now().isoformat())
    finally:
        engine.dispose()
