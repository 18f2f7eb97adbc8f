"""`cycle worker` runs its Celery consumer as a child process and restarts it when it dies.

A consumer can die on its own: SIGKILLed by the kernel's OOM killer or an operator,
or stopped by an error Celery calls unrecoverable (kombu's Redis transport after a
broker restart: see `tasks.redis_restore`). Celery then exits non-zero, and this
supervisor starts it again after a pause that doubles from 1 s to 60 s (reset once
a consumer has run for a minute), logs one line saying so, and records the restart
for `cycle health`. SIGTERM or SIGINT to the supervisor is passed to the consumer,
and the supervisor exits with the consumer's status once it has stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType

from workflow.settings import Settings

log = logging.getLogger("cycle.worker")

CONSUMER = "CYCLE_WORKER_CONSUMER"
"""Set in the consumer's environment: `cycle worker` then runs Celery itself instead of supervising."""
FIRST_PAUSE, LONGEST_PAUSE, STEADY = 1.0, 60.0, 60.0


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _record(settings: Settings, name: str, code: int) -> None:
    """Best effort: with the database away, the log line is the record."""
    from workflow.app import build
    from workflow.reads import health

    try:
        app = build(settings)
        try:
            health.restarted(app.engine, name, code)
        finally:
            app.close()
    except Exception as exc:
        log.warning("the restart of %s could not be recorded for 'cycle health': %s", name, exc)


def supervise(argv: list[str], settings: Settings, hostname: str | None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s: %(levelname)s/Supervisor] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # the consumer's Celery logging is its own; this process says only what it does
    name = "worker:" + (hostname or "celery@%h").replace("%h", socket.gethostname())
    stop = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    pause = FIRST_PAUSE
    while True:
        started = time.monotonic()
        child = subprocess.Popen(argv, env={**os.environ, CONSUMER: "1"})
        code = child.wait()
        if stop.is_set():
            return code if code >= 0 else 128 - code
        if time.monotonic() - started > STEADY:
            pause = FIRST_PAUSE
        log.error("%s: the consumer (pid %d) %s; starting it again in %.0f s", name, child.pid,
                  describe_exit(code), pause)
        _record(settings, name, code)
        if stop.wait(pause):
            return 0
        pause = min(pause * 2, LONGEST_PAUSE)


def consumer_argv(options: list[str]) -> list[str]:
    return [sys.executable, "-m", "tasks", "worker", *options]
