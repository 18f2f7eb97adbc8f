"""The `cycle` command: the core commands plus those that run workers.

The core CLI (`workflow.cli`) never imports Celery; this outer layer adds
`worker`, `scheduler` and the demo, which need it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.table import Table

import notifications.cli  # noqa: F401  (registers `cycle reminders` and `cycle mail`)
import workflow.cli.repair  # noqa: F401  (registers `cycle deadlines` and `cycle events`)
from workflow.cli import app_for, emit_json, err, main, out, plain
from workflow.datadir import private_dir
from workflow.definition.formatting import utc_stamp
from workflow.errors import ConfigurationError
from workflow.reads.health import Thresholds
from workflow.settings import Settings

if TYPE_CHECKING:
    from workflow.app import App

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def metrics_option(func: F) -> F:
    return click.option("--metrics-port", type=click.IntRange(1, 65535), metavar="PORT",
                        help="Serve Prometheus metrics on this port (/metrics).")(func)


def _build_when_reachable(settings: Settings) -> App:
    """The app of a long-running process, waiting for the database if it is away when the process starts.

    A worker or scheduler started during a database outage (a host booting, a restart) waits for it as it waits
    for the broker, rather than exiting: one line when it finds the database away, one when it is back.
    """
    import time

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from workflow.app import build
    from workflow.store.backoff import describe

    pause, since = 0.5, None
    while True:
        try:
            app = build(settings)
        except OperationalError as exc:
            if since is None:
                since = time.monotonic()
                where = make_url(settings.database_url).render_as_string(hide_password=True)
                click.echo(f"database unreachable: {describe(exc.orig or exc)}; waiting for it (if it is not simply "
                           f"down, check CYCLE_DATABASE_URL: {where})", err=True)
            time.sleep(pause)
            pause = min(pause * 2, 15.0)
            continue
        if since is not None:
            click.echo(f"database back after {time.monotonic() - since:.0f} s", err=True)
        return app


def _serve_metrics(settings: Settings, port: int | None) -> None:
    if port is None:
        return
    from . import metrics

    try:
        metrics.serve(_build_when_reachable(settings).engine, port)
    except OSError as exc:
        raise ConfigurationError(f"cannot serve metrics on port {port}: {exc.strerror or exc}") from None


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--heartbeat", type=float, default=Thresholds.heartbeat, show_default=True,
              help="Seconds without a heartbeat after which a worker or the scheduler counts as stopped.")
@click.option("--lag", type=float, default=Thresholds.outbox_lag, show_default=True,
              help="Seconds an event may wait to be handled.")
@click.option("--overdue", type=float, default=Thresholds.overdue, show_default=True,
              help="Seconds a due deadline may wait for the sweep.")
@click.option("--sending", type=float, default=Thresholds.sending, show_default=True,
              help="Seconds an email may stay 'sending' before it is named as a problem.")
@click.pass_context
def health(ctx: click.Context, as_json: bool, heartbeat: float, lag: float, overdue: float, sending: float) -> None:
    """What waits, what failed, who is alive; exits 1 when something is stuck (for a monitoring check)."""
    from workflow.reads import health as checks

    figures = checks.check(app_for(ctx).engine, Thresholds(heartbeat=heartbeat, outbox_lag=lag, overdue=overdue,
                                                           sending=sending))
    unreachable = _broker_problem(Settings.from_env())
    if unreachable:
        figures.problems.insert(0, unreachable)
    if as_json:
        emit_json(figures.as_dict())
    else:
        table = Table(title=f"Health at {utc_stamp(figures.now)} (cycle clock)", title_justify="left")
        table.add_column("what")
        table.add_column("figure", justify="right")
        for label, value in (("events waiting", figures.outbox_waiting),
                             ("oldest event waiting (s)", round(figures.outbox_oldest_age)),
                             ("events failed", figures.outbox_failed), ("deadlines due", figures.deadlines_due),
                             ("deadlines overdue", figures.deadlines_overdue),
                             ("deadlines failed", figures.deadlines_failed),
                             *((f"mail {status}", count) for status, count in figures.mail.items())):
            table.add_row(label, str(value))
        for beat in figures.beats:
            table.add_row(f"{beat.role} {beat.name} ({beat.host}, pid {beat.pid}) last seen (s ago)", f"{beat.age:.0f}")
        out.print(table)
        for problem in figures.problems:
            err.print(f"[bold red]stuck:[/] {plain(problem)}")
        if not figures.problems:
            out.print("[green]✓[/] nothing is stuck")
    if figures.problems:
        ctx.exit(1)


def _broker_problem(settings: Settings) -> str | None:
    """One sentence when the broker (Redis) does not answer: the database alone cannot show that."""
    if not settings.broker_url:
        return None
    from kombu.connection import Connection
    from sqlalchemy.engine import make_url

    try:
        with Connection(settings.broker_url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
    except Exception as exc:
        where = make_url(settings.broker_url).render_as_string(hide_password=True)
        return f"the broker at {where} cannot be reached ({' '.join(str(exc).split())}): no task is taken until it is back"
    return None


@main.command()
@click.option("--concurrency", "-c", type=int, default=2, show_default=True, help="Task processes in this worker.")
@click.option("--beat/--no-beat", default=None,
              help="Also run the scheduler (relay and sweep timers). Default: on for the embedded default, "
                   "off with CYCLE_BROKER_URL, where one 'cycle scheduler' runs beside the workers.")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork", show_default=True)
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.option("--hostname", "-n", help="Worker name, e.g. worker1@%h.")
@metrics_option
def worker(concurrency: int, beat: bool | None, pool: str, loglevel: str, hostname: str | None,
           metrics_port: int | None) -> None:
    """Run a worker: relays events, handles them and sweeps deadlines; restarts its consumer if it dies."""
    import os
    import sys

    from . import supervisor
    from .app import EMBEDDED_BEAT, create_app
    from .metrics_dir import shared_by_processes

    settings = Settings.from_env()
    if not os.environ.get(supervisor.CONSUMER):
        options = [f"--concurrency={concurrency}", f"--pool={pool}", f"--loglevel={loglevel}",
                   *([] if beat is None else ["--beat" if beat else "--no-beat"]),
                   *([f"--hostname={hostname}"] if hostname else []),
                   *([f"--metrics-port={metrics_port}"] if metrics_port else [])]
        with shared_by_processes(settings.data_dir, "worker"):  # the consumer's and its pool's counters, summed
            code = supervisor.supervise(supervisor.consumer_argv(options), settings, hostname)
        sys.exit(code)
    app = create_app(settings)
    _serve_metrics(settings, metrics_port)
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", f"--pool={pool}",
            f"--queues={settings.queue}", "--without-gossip", "--without-mingle"]
    if beat if beat is not None else not settings.broker_url:
        argv.append("--beat")
        app.conf.update({EMBEDDED_BEAT: True})
        argv.append(f"--schedule={settings.data_dir / 'scheduler-state'}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    private_dir(settings.data_dir)
    # app.worker_main (and app.start) drop Celery's exit status, so a worker stopped by an "Unrecoverable
    # error" exited 0 and a supervisor set to restart on failure left it down. Run Celery's command
    # ourselves, as app.start does, and pass its status on.
    from celery.bin.celery import celery as celery_command

    celery_command.params[0].default = app
    try:
        code = celery_command.main(args=argv, standalone_mode=False)
    finally:
        celery_command.params[0].default = None
    sys.exit(code if isinstance(code, int) else 0)


@main.command()
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@metrics_option
def scheduler(loglevel: str, metrics_port: int | None) -> None:
    """Run the scheduler alone (production: one per installation; a second one stands by)."""
    from .app import create_app

    settings = Settings.from_env()
    _serve_metrics(settings, metrics_port)
    private_dir(settings.data_dir)
    create_app(settings).start(["beat", f"--loglevel={loglevel}",
                                f"--schedule={settings.data_dir / 'scheduler-state'}"])


@main.command()
@click.option("--year", type=int, default=2021, show_default=True, help="Cycle year to run.")
@click.option("--definition", default="community_safety_strategy", show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the demo keeps everything (default: a fresh 'demo' folder in the data directory).")
@click.option("--workers", type=int, default=2, show_default=True, help="Worker processes to start.")
def demo(year: int, definition: str, data_dir: Path | None, workers: int) -> None:
    """Run a whole cycle year with real worker processes, on the embedded default."""
    from .demo import run_demo

    run_demo(Settings.from_env(), year=year, definition=definition, data_dir=data_dir, workers=workers,
             console=out)
