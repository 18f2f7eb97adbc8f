"""`cycle worker`, plus a no-op task: the baseline worker of bench/relay.py.

Run exactly as `python -m tasks worker ...` is run, with the same options and the same
CYCLE_* environment:

    .venv/bin/python bench/noop_app.py worker --pool solo --no-beat

It goes through the project's own `worker` command (`tasks.cli`), so the worker is
built and started as a production one is; the only difference is that the app that
`tasks.app.create_app` returns in this process also has the task `bench.noop`, which adds
one to a Redis counter and returns. The benchmark sends those tasks to this worker's
queue and times them against events relayed to a `python -m tasks worker`.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/transitions.py would
# shadow the `transitions` library the engine imports. Take it off; the project is importable
# from the repository (the worker runs with it as the working directory) or the virtualenv.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import os
from typing import Any

import redis
from celery import Celery

import tasks.app
from tasks import supervisor
from workflow.settings import Settings

NOOP = "bench.noop"


def add_noop(app: Celery, redis_url: str) -> Any:
    """Register `bench.noop(counter)`: INCR the Redis key `counter`, nothing else."""
    client: list[redis.Redis] = []  # made on first use, after the pool forks

    @app.task(name=NOOP)
    def noop(counter: str) -> None:
        if not client:
            client.append(redis.Redis.from_url(redis_url))
        client[0].incr(counter)

    return noop


def main() -> None:
    create_app = tasks.app.create_app

    def create_app_with_noop(settings: Settings) -> Celery:
        app = create_app(settings)
        add_noop(app, settings.broker_url)
        return app

    # `tasks.cli.worker` imports create_app from tasks.app when it runs, and so gets this one.
    tasks.app.create_app = create_app_with_noop
    # `cycle worker` otherwise supervises a consumer it starts as `python -m tasks worker`, a new
    # process without bench.noop: run the consumer here, as the supervisor's child would be run.
    os.environ[supervisor.CONSUMER] = "1"
    from tasks.cli import main as cycle

    cycle()


if __name__ == "__main__":
    main()
