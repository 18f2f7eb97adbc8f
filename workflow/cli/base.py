"""What every `cycle` command shares: the top group, its error handling, consoles, options and parsing.

This is the one place that turns a `CycleError` into a message on stderr and a non-zero exit code;
no traceback reaches a user for an error we foresaw.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from workflow.app import App, build
from workflow.datadir import keep_private, private_dir
from workflow.errors import Busy, CycleError
from workflow.settings import Settings
from workflow.store.db import waited_too_long
from workflow.store.unit import CYCLE_BUSY

F = TypeVar("F", bound=Callable[..., Any])

YEAR = click.IntRange(1900, 9998)
"""A cycle year: its timeline runs into the next year, which must still be a date Python can hold."""
ROW_ID = click.IntRange(1, 2**31 - 1)
"""The number of a mail or document, as `cycle mail list` shows it."""

# Piped output (CI logs, `make demo | less`) gets a readable width rather than 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CycleGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CycleError as exc:
            _refused(exc)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            _disk_full()
        except OperationalError as exc:
            if waited_too_long(exc):  # a lock held past CYCLE_LOCK_WAIT outside a command's unit of work
                _refused(Busy(CYCLE_BUSY))
            # The database is down or unreachable: say which one and what to check, not a traceback.
            url = make_url(Settings.from_env().database_url).render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if "disk is full" in reason or "No space left" in reason:
                _disk_full()
            err.print(f"[bold red]error:[/] cannot use the database at {plain(url)} ({plain(reason)}); check "
                      "CYCLE_DATABASE_URL and that the server is running, then try again. Nothing was written.")
            sys.exit(5)


def _refused(exc: CycleError) -> NoReturn:
    err.print(f"[bold red]error:[/] {plain(str(exc))}")
    sys.exit(exc.exit_code)


def _disk_full() -> NoReturn:
    folder = Settings.from_env().data_dir
    err.print(f"[bold red]error:[/] the disk holding {plain(str(folder))} (or the database) is full; free some space "
              "and try again. Nothing was written.")
    sys.exit(5)


def plain(text: str) -> str:
    # User text goes through rich markup; escape brackets so a name like [draft] stays literal.
    from rich.markup import escape

    return escape(text)


def app_for(ctx: click.Context) -> App:
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        settings = Settings.from_env()
        private_dir(settings.data_dir)
        obj["app"] = build(settings)
        obj["app"].engine.operator = operating_system_account()
        ctx.call_on_close(obj["app"].close)
    app: App = obj["app"]
    return app


def operating_system_account() -> str:
    """Who ran the command on this machine, for the history (the person acting is --as)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def emit_json(data: Any) -> None:
    def default(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        raise TypeError(f"cannot show {type(value).__name__} as JSON")

    click.echo(json.dumps(data, indent=2, default=default, ensure_ascii=False))


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def as_option(dest: str, *, required: bool, help: str) -> Callable[[F], F]:
    """`--as PERSON`, given to the command as `dest`: who acts ("actor") or whose view a read shows ("reader")."""
    def apply(func: F) -> F:
        return click.option("--as", dest, required=required, metavar="PERSON", help=help)(func)
    return apply


actor_option = as_option("actor", required=True, help="Who is acting: a person id from the cycle's directory.")
reader_option = as_option("reader", required=False,
                          help="Whose view: exempt information is shown only to a person entitled to it "
                               "(without --as, the public view).")
member_option = as_option("reader", required=True, help="Who reads: a member of the board.")
"""A read of a board's own record (its minutes), which only its members may read."""


def board_meeting(func: F) -> F:
    """The BOARD and MEETING arguments of the commands on one board meeting (`cycle agenda`, `cycle minutes`):
    the board's id in the definition and the meeting's date, YYYY-MM-DD, each command parsing it."""
    return click.argument("board")(click.argument("meeting")(func))


def withheld_note(count: int, reader: str | None, what: str = "exempt paper", plural: str | None = None) -> None:
    """One sentence on stderr: exempt information exists, and was left out for this reader."""
    if count:
        them = "it" if count == 1 else "them"
        why = f"{reader} is not entitled to see {them}" if reader else f"give --as a person entitled to see {them}"
        err.print(f"[yellow]note:[/] {count} {what if count == 1 else plural or what + 's'} withheld: {why}.")


def _names(values: Iterable[str]) -> list[str]:
    """Accept --for a --for b as well as --for a,b."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a date; use YYYY-MM-DD") from None


@click.group(cls=CycleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="strategy-cycle")
def main() -> None:
    """Run a partnership's strategy development cycle.

    Settings come from the environment: CYCLE_DATABASE_URL (PostgreSQL; default a
    SQLite file in CYCLE_DATA_DIR), CYCLE_DATA_DIR, CYCLE_DEFINITIONS_DIR, CYCLE_NOW.
    """
    keep_private()  # whatever any command writes (database, papers, documents, emails) is 0600
