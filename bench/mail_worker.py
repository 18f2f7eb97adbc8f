"""The baseline worker of bench/mail.py: the product's Celery app plus one no-op task.

`python bench/mail_worker.py --pool prefork --concurrency 2 --loglevel INFO --hostname NAME`
builds the app exactly as `cycle worker` does (`tasks.app.create_app(Settings.from_env())`,
so the same broker, queue, acks-late, prefetch and serializer settings from the CYCLE_*
environment), registers `bench.noop`, and starts it with the argv `cycle worker --no-beat`
builds in tasks/cli.py. `bench.noop(counter, target, done)` increments the Redis counter
`counter` on the broker's Redis and, when it reaches `target`, pushes to the list `done`, which
the benchmark waits on with BLPOP.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/transitions.py would
# shadow the `transitions` library the engine imports. Take it off.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import os

import redis

from tasks.app import create_app
from workflow.settings import Settings

NOOP = "bench.noop"

settings = Settings.from_env()
app = create_app(settings)
_client: tuple[int, redis.Redis] | None = None


def _redis() -> redis.Redis:
    """One client per process: prefork children must not share the parent's sockets."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(settings.broker_url))
    return _client[1]


@app.task(name=NOOP)
def noop(counter: str, target: int, done: str) -> int:
    count = int(_redis().incr(counter))
    if count == target:
        _redis().rpush(done, count)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/mail_worker.py", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", "-c", type=int, default=2)
    parser.add_argument("--pool", choices=["prefork", "threads", "solo"], default="prefork")
    parser.add_argument("--loglevel", "-l", default="INFO")
    parser.add_argument("--hostname", "-n")
    args = parser.parse_args(argv)
    if not settings.broker_url:
        raise SystemExit("CYCLE_BROKER_URL must name the Redis the benchmark uses")
    # The argv of `cycle worker --no-beat` (tasks/cli.py), so both workers run alike.
    worker_argv = ["worker", f"--loglevel={args.loglevel}", f"--concurrency={args.concurrency}",
                   f"--pool={args.pool}", f"--queues={settings.queue}", "--without-gossip", "--without-mingle"]
    if args.hostname:
        worker_argv.append(f"--hostname={args.hostname}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.worker_main(worker_argv)


if __name__ == "__main__":
    main()
