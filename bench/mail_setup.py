"""What the mail benchmark builds: its definitions, SMTP server, worker processes and Redis keys."""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from aiosmtpd.controller import Controller
from sqlalchemy import URL, text

from bench.harness import (
    DEFINITIONS,
    Process,
    free_port,
    proc_stats,
)
from workflow.app import App

HERE = Path(__file__).resolve().parent

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # cycle keys are '<definition>-<year>'; the engine plans these years
DUE = dt.date(2021, 7, 15)  # a Thursday, a working day: the reminder goes at 09:00 on it
ACTOR = "bench_officer"
DELIVER_BATCH = 100  # Delivery.deliver_due's default limit, which cycle.deliver_mail uses
NOOP = "bench.noop"  # registered by bench/mail_worker.py

DEFINITION = """\
id: {id}
title: Mail benchmark {n}
version: 1
cycle:
  starts_in: July
roles:
  officer: Owns the one stage
people:
  bench_officer:
    title: Benchmark officer
    email: bench.officer@example.org
    roles: [officer]
permissions:
  start: [officer]
  decide: [officer]
  attach: [officer]
initial: report
stages:
  report:
    title: Quarterly report
    owner: officer
    due: {due}
    reminders: [report_due]
  done:
    title: Done
    final: true
transitions:
  - {{trigger: finish, source: report, dest: done, roles: [officer]}}
reminders:
  report_due:
    template: bench_reminder
    to: [owner]
    on_due: true
"""
# The benchmark's reminder template is the shipped officer reminder, with the cycle key put in
# front of the subject to match each email to its cycle.


# -- small helpers ---------------------------------------------------------------------------


def backends_cpu(app: App) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend on the scratch database (same host only)."""
    with app.database.connect() as connection:
        pids = set(connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars())
    return {pid: cpu for pid, _, cpu in proc_stats() if pid in pids}


# -- the SMTP server -------------------------------------------------------------------------


@dataclass
class Arrival:
    subject: str
    message_id: str
    at: float  # time.perf_counter() in the DATA handler


class Inbox:
    """aiosmtpd handler: keeps subject, Message-ID and arrival time; signals a target count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.target = 0
        self.reached = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        # Only the headers are parsed: the bodies are not needed to match a message.
        head = email.message_from_bytes(envelope.content.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n",
                                        policy=email.policy.default)
        arrival = Arrival(" ".join(str(head["Subject"] or "").split()), str(head["Message-ID"] or ""), at)
        with self.lock:
            self.arrivals.append(arrival)
            if self.target and len(self.arrivals) >= self.target:
                self.reached.set()
        return "250 Message accepted for delivery"

    def reset(self, target: int = 0) -> None:
        with self.lock:
            self.arrivals = []
            self.target = target
            self.reached.clear()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # server_hostname: else aiosmtpd calls socket.getfqdn() for every connection.
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="localhost")
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# -- worker processes ------------------------------------------------------------------------


@dataclass
class Run:
    """One benchmark run's names and places, so everything it creates can be found and removed."""

    args: argparse.Namespace
    url: URL
    work: Path
    token: str = field(default_factory=lambda: f"benchmail-{uuid.uuid4().hex[:10]}")

    @property
    def db_url(self) -> str:
        return self.url.render_as_string(hide_password=False)

    @property
    def queue(self) -> str:
        return f"{self.token}-cycle"

    @property
    def noop_queue(self) -> str:
        return f"{self.token}-noop"

    def env(self, queue: str, smtp_url: str, interval: float) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLE_")}
        env.update({
            "CYCLE_DATABASE_URL": self.db_url, "CYCLE_BROKER_URL": self.args.redis_url, "CYCLE_CLOCK": "shared",
            "CYCLE_QUEUE": queue, "CYCLE_DATA_DIR": str(self.work / "worker-data"),
            "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_SMTP_URL": smtp_url,
            "CYCLE_RELAY_INTERVAL": str(interval), "CYCLE_SWEEP_INTERVAL": str(interval),
        })
        return env

    def worker_argv(self) -> list[str]:
        a = self.args
        return ["--pool", a.pool, "--concurrency", str(a.concurrency), "--loglevel", a.loglevel]

    def product_worker(self, smtp_url: str) -> Process:
        argv = [sys.executable, "-m", "tasks", "worker", "--no-beat", *self.worker_argv(),
                "--hostname", f"{self.token}-worker@%h"]
        return Process("worker", argv, self.env(self.queue, smtp_url, self.args.interval[0]),
                       self.work / "worker.log")

    def scheduler(self, smtp_url: str, interval: float) -> Process:
        argv = [sys.executable, "-m", "tasks", "scheduler", "--loglevel", "INFO"]
        return Process("scheduler", argv, self.env(self.queue, smtp_url, interval),
                       self.work / f"scheduler-{interval}.log")

    def noop_worker(self, smtp_url: str) -> Process:
        argv = [sys.executable, str(HERE / "mail_worker.py"), *self.worker_argv(),
                "--hostname", f"{self.token}-noop@%h"]
        return Process("no-op worker", argv, self.env(self.noop_queue, smtp_url, self.args.interval[0]),
                       self.work / "noop-worker.log")


WORKER_READY = " ready."  # Celery's "celery@host ready." once it consumes
SCHEDULER_READY = "this process is the scheduler"  # tasks/leader.py, once it holds the lock


def cleanup_redis(url: str, token: str) -> int:
    """Delete this run's keys (its queues, counters) and its entries in kombu's shared keys."""
    client = redis.Redis.from_url(url)
    removed = 0
    try:
        for key in list(client.scan_iter(match=f"*{token}*")):
            removed += int(client.delete(key))
        for key in list(client.scan_iter(match="_kombu.binding.*")):
            if client.type(key) == b"set":
                mine = [m for m in client.smembers(key) if token.encode() in m]
                if mine:
                    removed += int(client.srem(key, *mine))
        for tag, payload in client.hscan_iter("unacked"):
            if token.encode() in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
                removed += 1
    finally:
        client.close()
    return removed
