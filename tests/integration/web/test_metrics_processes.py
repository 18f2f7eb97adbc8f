"""`cycle web --workers 2`: /metrics counts the requests of both processes, whichever one answers the scrape.

Served per process, a scrape read 8, then 2, for 10 requests, and Prometheus took each drop for
a restart. The service is started as an operator starts it, in processes of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client import multiprocess

from tests.conftest import DEFINITIONS
from tests.integration.workers import free_port, wait_until

TOKEN = "a metrics token for the monitoring service"
LOGIN = re.compile(r'^cycle_http_requests_total\{method="GET",route="/auth/login",status="200"\} (\S+)$', re.M)


def _served_by(folder: Path) -> dict[int, float]:
    """The sign-in page requests each process of the service counted, read from its own file."""
    counted: dict[int, float] = {}
    for path in folder.glob("counter_*.db"):
        for metric in multiprocess.MultiProcessCollector.merge([str(path)]):
            for sample in metric.samples:
                if sample.name == "cycle_http_requests_total" and sample.labels.get("route") == "/auth/login":
                    pid = int(path.stem.rpartition("_")[2])
                    counted[pid] = counted.get(pid, 0) + sample.value
    return counted


def test_two_server_processes_report_one_true_count_at_every_scrape(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CYCLE_", "PROMETHEUS_"))},
           "CYCLE_DATA_DIR": str(data), "CYCLE_DATABASE_URL": f"sqlite:///{data / 'cycle.db'}",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_WEB_SECURE_COOKIES": "false",
           "CYCLE_WEB_BASE_URL": url, "CYCLE_METRICS_TOKEN": TOKEN}
    log = tmp_path / "web.log"
    with log.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "web", "web", "--port", str(port), "--workers", "2"],
                                   env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"cycle web exited:\n{log.read_text()}")
            try:
                return httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, "cycle web to answer", 60)
        folders = list((data / "metrics").iterdir())
        assert len(folders) == 1 and folders[0].name.startswith("web-"), "one folder, made by the service"
        sent = 0
        # A new connection for each request, until both processes have answered some (the kernel shares them out).
        while len(_served_by(folders[0])) < 2 or sent < 10:
            assert httpx.get(f"{url}/auth/login", headers={"Connection": "close"}).status_code == 200
            sent += 1
            assert sent < 500, f"one process answered every request: {_served_by(folders[0])}"
        assert sum(_served_by(folders[0]).values()) == sent
        readings = []
        for _ in range(8):
            scraped = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}", "Connection": "close"})
            assert scraped.status_code == 200, scraped.text
            found = LOGIN.search(scraped.text)
            assert found, scraped.text
            readings.append(float(found.group(1)))
            assert "cycle_database_up 1.0" in scraped.text
        assert readings == [sent] * 8, f"{sent} requests sent"
    finally:
        process.terminate()
        process.wait(30)
    assert process.returncode == 0, log.read_text()
    assert not any((data / "metrics").iterdir()), "the service removes its folder when it stops"
