"""A prefork worker's /metrics counts the tasks its pool processes ran, not only its main process's (none).

The worker is started as an operator starts it (`cycle worker`, its supervisor, its consumer and a
pool of two processes), on the embedded default, with the scheduler beside it sending the relay
every 0.2 s. The consumer's main process serves /metrics and never runs a task itself.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.integration.workers import Worker, free_port, wait_until, worker_env

RELAYS = re.compile(r"^cycle_relay_duration_seconds_count (\S+)$", re.M)


def test_counts_from_the_pool_processes_appear_in_the_workers_metrics(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = worker_env(f"sqlite:///{data / 'cycle.db'}", "", tmp_path, CYCLE_DATA_DIR=str(data), CYCLE_CLOCK="system")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    worker = Worker(env, tmp_path / "worker.log",
                    argv=[sys.executable, "-m", "tasks", "worker", "--pool", "prefork", "--concurrency", "2",
                          "--hostname", "metered@%h", "--beat", "--metrics-port", str(port)])
    readings: list[float] = []

    def relays() -> float:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                found = RELAYS.search(response.read().decode())
        except OSError:
            return 0.0
        assert found, "the relay's timing is served"
        readings.append(float(found.group(1)))
        return readings[-1]

    try:
        wait_until(lambda: relays() >= 5, "relays counted by the pool to reach the metrics", 120, check=worker.check)
        for _ in range(5):
            relays()
        consumer = worker.children()[0]
        pool = set(worker.children(consumer))
        folders = list((data / "metrics").iterdir())
        assert [f.name.startswith("worker-") for f in folders] == [True], "one folder, made by the supervisor"
        counted_by = {int(p.stem.rpartition("_")[2]) for p in folders[0].glob("histogram_*.db")}
    finally:
        # As an operator (or systemd with KillMode=mixed) stops it: SIGTERM to `cycle worker` alone, which passes
        # it to its consumer; the consumer stops its own pool. The whole group is killed only if that hangs.
        os.kill(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.stop()
    assert worker.process.returncode == 0, worker.output()[-3000:]
    assert readings == sorted(readings), f"a counter never goes down between scrapes: {readings}"
    assert counted_by & pool, f"pool processes {pool} wrote their own figures ({counted_by})"
    assert not any((data / "metrics").iterdir()), "the worker removes its folder when it stops"
