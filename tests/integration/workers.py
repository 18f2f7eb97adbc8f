"""Real Celery worker processes and a test-owned Redis, for the integration tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

from tests.conftest import REPO


def worker_env(pg_url: str, broker_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a test's worker processes: its database, broker, own queue and quick timers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLE_")}
    env.update({
        "CYCLE_DATABASE_URL": pg_url, "CYCLE_BROKER_URL": broker_url, "CYCLE_CLOCK": "shared",
        "CYCLE_QUEUE": f"test-{uuid.uuid4().hex[:10]}", "CYCLE_DATA_DIR": str(tmp_path / "worker-data"),
        "CYCLE_DEFINITIONS_DIR": str(REPO / "definitions"), "CYCLE_RELAY_INTERVAL": "0.2",
        "CYCLE_SWEEP_INTERVAL": "0.3", "CYCLE_REDELIVER_AFTER": "4", "CYCLE_VISIBILITY_TIMEOUT": "3",
    })
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(done: Callable[[], bool], what: str, timeout: float = 60.0, *, check: Callable[[], None] = lambda: None) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        check()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class RedisServer:
    """A redis-server of this machine's, on its own port, that a test may stop and start."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server is not installed on this machine; the integration tests need it")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), "the test's Redis to start", 15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no save, no goodbye to clients; started again, it is empty."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


class Worker:
    """`cycle worker` in its own process group, so a test can SIGKILL the lot."""

    def __init__(self, env: dict[str, str], log: Path, *, beat: bool = True, name: str = "w",
                 argv: list[str] | None = None) -> None:
        self.log = log
        argv = argv or [sys.executable, "-m", "tasks", "worker", "--pool", "solo", "--loglevel", "INFO",
                        "--hostname", f"{name}-{os.getpid()}@%h", "--beat" if beat else "--no-beat"]
        with log.open("ab") as handle:
            self.process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def check(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.log.read_text()[-4000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self, pid: int | None = None) -> list[int]:
        """The processes `pid` (this worker's first process by default) started: `cycle worker`'s consumer,
        and the consumer's pool processes."""
        pid = pid or self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []
