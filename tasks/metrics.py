"""Prometheus metrics: the figures `cycle health` reads from the database, and the workers' own timings.

One registry per endpoint (`registry(engine)`): the database gauges are read at each
scrape, so every process that exposes them (a worker, the scheduler, the web service)
reports the same figures. The counters and histograms are those of every process of the
service when it runs several (`tasks.metrics_dir`: `cycle web --workers N`, `cycle worker`'s
pool), else this process's own. `cycle worker --metrics-port N` and `cycle scheduler
--metrics-port N` serve it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
    start_http_server,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from workflow.engine import Engine
from workflow.reads import health
from workflow.store import reachability, tally
from workflow.store.outbox import wall_clock

log = logging.getLogger(__name__)

PROCESS = CollectorRegistry(auto_describe=True)
"""The counters and histograms of this process, filled in by the tasks."""

SWEEP_SECONDS = Histogram("cycle_sweep_duration_seconds", "Time one deadline sweep took.", registry=PROCESS)
RELAY_SECONDS = Histogram("cycle_relay_duration_seconds", "Time one outbox relay took.", registry=PROCESS)
DELIVERY_SECONDS = Histogram("cycle_mail_delivery_duration_seconds", "Time one pass of mail delivery took.",
                             registry=PROCESS)
SWEEP_OUTCOMES = Counter("cycle_sweep_deadlines", "Deadlines the sweep acted on, by kind (timed_transition, "
                         "strand_trigger, stage_overdue, reminder) and outcome: done (fired, marked or sent), refused "
                         "(the engine refused the fire), left_stage (the cycle had moved on), gate_not_met (put off "
                         "to the next working day), error (raised; tried again with backoff), failed (gave up).",
                         ["kind", "outcome"], registry=PROCESS)
RELAYED = Counter("cycle_relay_published_events", "Events the relay published to the workers.", registry=PROCESS)
MAIL_OUTCOMES = Counter("cycle_mail_deliveries", "Delivery attempts, by outcome: sent, retrying, failed.",
                        ["outcome"], registry=PROCESS)


class DatabaseCollector(Collector):
    """The gauges of `workflow.reads.health`, read from the database at every scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            figures = health.check(self.engine)
            with self.engine.sessions() as session:
                fired, refused = tally.fires(session), tally.refusals(session)
        except Exception as exc:  # a scrape while the database is down reports that, not a stack trace
            if not reachability.is_down():
                log.warning("metrics: cannot read the database: %s", exc)
            yield GaugeMetricFamily("cycle_database_up", "1 when the database answered this scrape.", value=0)
            return
        yield GaugeMetricFamily("cycle_database_up", "1 when the database answered this scrape.", value=1)
        yield GaugeMetricFamily("cycle_outbox_waiting", "Events written and not yet handled (failed ones excluded).",
                                value=figures.outbox_waiting)
        yield GaugeMetricFamily("cycle_outbox_oldest_age_seconds", "Age of the oldest event waiting to be handled.",
                                value=figures.outbox_oldest_age)
        yield GaugeMetricFamily("cycle_outbox_failed", "Events whose handler gave up, waiting for an officer.",
                                value=figures.outbox_failed)
        yield GaugeMetricFamily("cycle_deadlines_due", "Pending deadlines whose time has come.",
                                value=figures.deadlines_due)
        yield GaugeMetricFamily("cycle_deadlines_overdue", "Pending deadlines due over 10 minutes ago: the sweep is "
                                "behind.", value=figures.deadlines_overdue)
        yield GaugeMetricFamily("cycle_deadlines_failed", "Deadlines whose action gave up, waiting for an officer.",
                                value=figures.deadlines_failed)
        mail = GaugeMetricFamily("cycle_mail", "Mail rows by status.", labels=["status"])
        for status, count in figures.mail.items():
            mail.add_metric([status], count)
        yield mail
        beats = GaugeMetricFamily("cycle_heartbeat_timestamp_seconds",
                                  "Unix time of the last heartbeat of each worker and scheduler.",
                                  labels=["name", "role"])
        for beat in figures.beats:
            beats.add_metric([beat.name, beat.role], beat.beat_at.timestamp())
        yield beats
        # Counters kept in the database, so fires and refusals from every process (the command line's
        # short-lived ones included) are counted once, whichever process is scraped.
        fires = CounterMetricFamily("cycle_fires", "Fires accepted (one history row each), by trigger: officers' "
                                    "from the command line, the API and pages, and the scheduler's.",
                                    labels=["trigger"])
        for trigger, count in sorted(fired.items()):
            fires.add_metric([trigger], count)
        yield fires
        refusals = CounterMetricFamily("cycle_refusals", "Fires refused, by reason: not_found, not_allowed, "
                                       "missing_role, gate_not_met, invalid_input, finished, race.",
                                       labels=["reason"])
        for reason, count in sorted(refused.items()):
            refusals.add_metric([reason], count)
        yield refusals

    def describe(self) -> Iterator[Any]:
        return iter(())


def registry(engine: Engine) -> CollectorRegistry:
    """The service's counters (all its processes', or this one's) with the database gauges: what one endpoint serves."""
    combined = CollectorRegistry(auto_describe=True)
    folder = shared_folder()
    if folder is None:
        combined.register(_Forward(PROCESS))
    else:
        multiprocess.MultiProcessCollector(combined, path=folder)
    combined.register(DatabaseCollector(engine))
    return combined


def shared_folder() -> str | None:
    """The folder this process writes its counters to, shared with the other processes of its service; None when
    they are kept in memory (one process: the variable was not set when prometheus-client was imported)."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        return None
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def process_ended(pid: int | None = None) -> None:
    """Bookkeeping when a process of the service stops: its live gauges leave the sum (its counters stay in)."""
    folder = shared_folder()
    if folder is not None:
        multiprocess.mark_process_dead(pid or os.getpid(), folder)


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        return iter(self.source.collect())


def serve(engine: Engine, port: int) -> None:
    """Serve /metrics on `port` (all interfaces) from a background thread."""
    start_http_server(port, registry=registry(engine))
    log.info("metrics on http://0.0.0.0:%d/metrics", port)


class HeartbeatThread(threading.Thread):
    """Writes this process's heartbeat every `interval` seconds until stopped; a failed write is retried.

    The database connection is made in the thread, so a database still being created by another
    process (the embedded default's first start) delays the first beat rather than the process.
    """

    def __init__(self, connect: Callable[[], Engine], name: str, role: str, *, interval: float = 10.0) -> None:
        super().__init__(name=f"heartbeat-{role}", daemon=True)
        self.connect, self.beat_name, self.role, self.interval = connect, name, role, interval
        self.engine: Engine | None = None
        self.stopped = threading.Event()
        self.started_at = wall_clock()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.engine = self.engine or self.connect()
                health.beat(self.engine, self.beat_name, self.role, self.started_at)
            except Exception as exc:  # the database may be away for a while; the next beat tries again
                if not reachability.is_down():  # an outage is logged once, when it starts
                    log.warning("heartbeat of %s not written: %s", self.beat_name, exc)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        try:
            if self.engine is not None:
                health.forget(self.engine, self.beat_name)
        except Exception as exc:
            log.warning("heartbeat of %s not removed: %s", self.beat_name, exc)
