"""The `cycle` command: the core commands plus those that run workers.

The core CLI (`workflow.cli`) never imports Celery; this outer layer adds
`worker`, `scheduler` and the demo, which need it.
"""

from __future__ import annotations

from pathlib import Path

import click

import notifications.cli  # noqa: F401  (registers `cycle reminders` and `cycle mail`)
from workflow.cli import main, out
from workflow.datadir import private_dir
from workflow.settings import Settings

__all__ = ["main"]


@main.command()
@click.option("--concurrency", "-c", type=int, default=2, show_default=True, help="Task processes in this worker.")
@click.option("--beat/--no-beat", default=None,
              help="Also run the scheduler (relay and sweep timers). Default: on for the embedded default, "
                   "off with CYCLE_BROKER_URL, where one 'cycle scheduler' runs beside the workers.")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork", show_default=True)
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.option("--hostname", "-n", help="Worker name, e.g. worker1@%h.")
def worker(concurrency: int, beat: bool | None, pool: str, loglevel: str, hostname: str | None) -> None:
    """Run a worker: relays events, handles them and sweeps deadlines."""
    from .app import create_app

    settings = Settings.from_env()
    app = create_app(settings)
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", f"--pool={pool}",
            f"--queues={settings.queue}", "--without-gossip", "--without-mingle"]
    if beat if beat is not None else not settings.broker_url:
        argv.append("--beat")
        argv.append(f"--schedule={settings.data_dir / 'scheduler-state'}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    private_dir(settings.data_dir)
    app.worker_main(argv)


@main.command()
@click.option("--loglevel", "-l", default="INFO", show_default=True)
def scheduler(loglevel: str) -> None:
    """Run the scheduler alone (production: one per installation; a second one stands by)."""
    from .app import create_app

    settings = Settings.from_env()
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
