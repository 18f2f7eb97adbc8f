"""The Celery app, built by a factory from the settings.

Tasks are thin: they take ids, build nothing at import time, and call the
engine, the outbox relay and the sweep in `workflow`. The broker carries
doorbells; every fact lives in the database, so a lost message costs a
redelivery, never an event.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import Celery, signals
from kombu.entity import Queue
from sqlalchemy.exc import OperationalError

from notifications import (
    agenda_notice,
    outside_updates,
    publication,
    reminders,
    rescheduling,
    smtp_oauth,
)
from notifications.agenda_issue import EVENT as AGENDA_ISSUED
from notifications.agenda_issue import AgendaPacks
from notifications.agenda_notice import AGENDA_NOTICE
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.documents import Documents
from notifications.links import Links
from notifications.mail import mailer_for
from workflow.app import App, build
from workflow.commands.sweep import Sweeper
from workflow.errors import Busy, ConcurrentChange
from workflow.settings import Settings
from workflow.store import reachability
from workflow.store.backoff import describe
from workflow.store.outbox import Handlers, relay
from workflow.time.deadlines import plan_stage
from workflow.time.reminder_times import REMINDER

from . import broker, metrics
from .leader import SchedulerLock

log = logging.getLogger(__name__)

HANDLE_EVENT = "cycle.handle_event"
# What `handle_event` retries with backoff: the database away, a race lost, a row held past the lock wait (Busy).
RETRIED = (OperationalError, ConcurrentChange)
RELAY = "cycle.relay"
SWEEP = "cycle.sweep"
DELIVER_MAIL = "cycle.deliver_mail"
DELIVER_ONE = "cycle.deliver_one"
RETENTION = "cycle.retention"
RETENTION_INTERVAL = 3600.0
"""Seconds between runs of the retention task: personal data is erased within the hour it falls due."""
NO_LINKS = ("emails carry no links (to the forms, papers, records and My work) because CYCLE_WEB_BASE_URL is "
            "unset; set it to the address people open the web service at")
EMBEDDED_BEAT = "cycle_embedded_beat"
"""Set in the app's configuration when this worker runs the scheduler beside it (`cycle worker --beat`)."""


def quiet_outage(task: Callable[..., int]) -> Callable[..., int]:
    """A periodic task that meets a database outage, or a row held past its lock wait, skips this tick: the next
    one runs when the database is back or the row free.

    The outage itself is logged once per process (`workflow.store.reachability`), not once per tick with a traceback.
    """
    @functools.wraps(task)
    def run(*args: Any, **kwargs: Any) -> int:
        try:
            return task(*args, **kwargs)
        except OperationalError as exc:
            if not reachability.is_down():
                log.warning("%s skipped: %s", task.__name__, describe(exc))
            return 0
        except Busy as exc:
            log.warning("%s skipped: %s", task.__name__, exc)
            return 0
    return run


class Runtime:
    """What the tasks of one worker process use, built on first use (after the pool forks)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: App | None = None
        self._lock = threading.Lock()
        # Built once per worker, so the XOAUTH2 token it caches serves every delivery until it expires.
        self.smtp_authenticator = smtp_oauth.authenticator(settings)

    @property
    def app(self) -> App:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    # Workers wait longer for a cycle's lock than people do (`Settings.worker_lock_wait`).
                    self._app = build(self.settings, lock_wait=self.settings.worker_lock_wait)
        return self._app

    def handlers(self) -> Handlers:
        handlers = Handlers()
        handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, self.app.engine))
        handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, self.app.engine))
        handlers.on("StageEntered", "agenda", functools.partial(agenda_notice.plan, self.app.engine))
        domain = self.settings.mail_from.rpartition("@")[2] or "strategy-cycle.invalid"
        handlers.on("PaperAttached", "papers", publication.publish_action(self.app.engine, domain, self.links))
        # Papers attached for an earlier board that this stage's board decides on, as its meeting's papers.
        handlers.on("StageEntered", "papers", publication.carry_action(self.app.engine, domain, self.links))
        handlers.on("MeetingChanged", "meeting", rescheduling.notify_action(self.app.engine, domain, self.links))
        handlers.on("MeetingChanged", "agenda", functools.partial(agenda_notice.plan_moved, self.app.engine))
        # The case's contacts the meeting invited: their own update, whether or not the board's templates exist.
        handlers.on("MeetingChanged", "contacts", outside_updates.update_action(self.app.engine, domain))
        documents = self.documents()
        # Rendering takes seconds: it happens before the handler's write transaction, not inside it.
        handlers.on("GatePassed", "documents", documents.apply, prepare=documents.prepare)
        packs = AgendaPacks(self.app.engine, self.app.documents(), self.links, domain)
        # The packs are rendered before the handler's transaction, as the documents are.
        handlers.on(AGENDA_ISSUED, "agenda_pack", packs.apply, prepare=packs.prepare)
        return handlers

    @property
    def links(self) -> Links:
        """Where emails lead: the site's address (CYCLE_WEB_BASE_URL), or no links when it is unset."""
        return Links(self.settings.site_url)

    def documents(self) -> Documents:
        return Documents(self.app.engine, self.app.documents(), self.links)

    def sweeper(self) -> Sweeper:
        domain = self.settings.mail_from.rpartition("@")[2] or "strategy-cycle.invalid"
        return Sweeper(self.app.engine, {REMINDER: reminders.send_action(self.app.engine, domain, self.links),
                                         AGENDA_NOTICE: agenda_notice.send_action(self.app.engine, domain, self.links)})

    def delivery(self) -> Delivery:
        settings = self.settings
        mailer = mailer_for(settings.smtp_url, settings.outbox_dir, authenticator=self.smtp_authenticator)
        return Delivery(self.app.engine, mailer, DeliveryPolicy(sender=settings.mail_from,
                                                                retry_base=settings.mail_retry_base,
                                                                lease=settings.mail_lease),
                        self.app.documents(), journal=settings.data_dir / "mail-delivered")

    def reset(self) -> None:
        """Forget connections inherited across a fork."""
        self._app = None


def broker_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url:
        return {
            "broker_url": settings.broker_url,
            # Redis redelivers an unacknowledged task after this; the outbox covers anything later.
            "broker_transport_options": {"visibility_timeout": settings.visibility_timeout},
        }
    # The embedded default: kombu's filesystem transport needs no server, survives restarts as
    # files in the data directory, and is shared by every worker process on this machine; ours
    # (tasks.broker) makes each message file appear whole and sets aside one it cannot read.
    folder = settings.broker_dir
    for sub in ("queue", "processed", "taken", "unreadable"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": f"{broker.SCHEME}://",
        "broker_transport_options": {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "control_folder": str(folder / "control"),
        },
    }


def create_app(settings: Settings) -> Celery:
    if settings.broker_url.startswith(("redis://", "rediss://")):
        from . import redis_restore

        redis_restore.install()
    app = Celery("strategy_cycle", set_as_current=False)
    app.conf.update(
        **broker_options(settings),
        task_default_queue=settings.queue,
        task_queues=[Queue(settings.queue)],
        task_acks_late=True,  # a task dies with its worker: it is not acknowledged, so it comes back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        broker_connection_retry_on_startup=True,
        worker_send_task_events=False,
        beat_schedule={
            "relay-outbox": {"task": RELAY, "schedule": settings.relay_interval},
            "sweep-deadlines": {"task": SWEEP, "schedule": settings.sweep_interval},
            "deliver-mail": {"task": DELIVER_MAIL, "schedule": settings.relay_interval},
            "erase-personal-data": {"task": RETENTION, "schedule": RETENTION_INTERVAL},
        },
        beat_schedule_filename=str(settings.data_dir / "scheduler-state"),
        beat_scheduler="tasks.quiet_beat:QuietScheduler",
        # Remote control needs a fanout exchange; the embedded transport has no use for it.
        worker_enable_remote_control=bool(settings.broker_url),
    )
    runtime = Runtime(settings)
    app.runtime = runtime
    conf = app.conf

    @app.task(name=HANDLE_EVENT, bind=True, autoretry_for=RETRIED,
              retry_backoff=True, retry_backoff_max=60, max_retries=None)
    def handle_event(task: Any, event_id: int) -> list[str]:
        return runtime.handlers().handle(runtime.app.engine, event_id)

    @app.task(name=RELAY)
    @quiet_outage
    def relay_outbox() -> int:
        def publish(event_id: int, event_type: str) -> None:
            handle_event.apply_async(args=[event_id], headers={"event_type": event_type})

        with metrics.RELAY_SECONDS.time():
            published = relay(runtime.app.engine, publish, redeliver_after=settings.redeliver_after)
        metrics.RELAYED.inc(published)
        return published

    @app.task(name=SWEEP)
    @quiet_outage
    def sweep() -> int:
        with metrics.SWEEP_SECONDS.time():
            report = runtime.sweeper().sweep()
        for (kind, outcome), count in report.outcomes.items():
            metrics.SWEEP_OUTCOMES.labels(kind, outcome).inc(count)
        if report.total():
            log.info("sweep: %d done, %d skipped, %d to retry, %d raised (%d failed): %s", report.done, report.skipped,
                     report.retried, report.errors, report.failed, ", ".join(report.acted))
        if report.done:
            deliver_mail.delay()  # reminders just queued: send them now rather than at the next tick
        return report.total()

    @app.task(name=DELIVER_MAIL)
    @quiet_outage
    def deliver_mail() -> int:
        with metrics.DELIVERY_SECONDS.time():
            report = runtime.delivery().deliver_due()
        for outcome, ids in (("sent", report.sent), ("retrying", report.retrying), ("failed", report.failed)):
            if ids:
                metrics.MAIL_OUTCOMES.labels(outcome).inc(len(ids))
        if report.sent or report.retrying or report.failed:
            log.info("mail: %d sent, %d to retry, %d failed", len(report.sent), len(report.retrying),
                     len(report.failed))
        return len(report.sent)

    @app.task(name=DELIVER_ONE)
    @quiet_outage
    def deliver_one(mail_id: int) -> int:
        return len(runtime.delivery().deliver(mail_id).sent)

    @app.task(name=RETENTION)
    @quiet_outage
    def retention() -> int:
        erased = runtime.app.engine.retention_run(runtime.app.documents())
        for found in erased:
            log.info("retention: %s: %s", found.cycle, found.said())
        return len(erased)

    lock = SchedulerLock(settings)

    beats: list[metrics.HeartbeatThread] = []

    @signals.beat_init.connect(weak=False)
    def _lead(sender: Any = None, **_: Any) -> None:
        # Only the scheduler that holds the lock sends the periodic tasks; a second one waits.
        if getattr(sender, "app", None) is app:
            lock.acquire()
            if settings.embedded and conf.get(EMBEDDED_BEAT):
                return  # SQLite cannot be used in a process forked from one that used it: the worker beats for it
            # One row for the installation's scheduler: whoever leads now writes it, on its own connection.
            beats.append(metrics.HeartbeatThread(lambda: build(settings, lock_wait=settings.worker_lock_wait).engine,
                                                 "scheduler", "scheduler"))
            beats[-1].start()

    @signals.worker_ready.connect(weak=False)
    def _alive(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is app:
            if not settings.site_url:
                log.warning(NO_LINKS)
            beats.append(metrics.HeartbeatThread(lambda: runtime.app.engine, f"worker:{sender.hostname}", "worker"))
            beats[-1].start()
            if settings.embedded and conf.get(EMBEDDED_BEAT):
                beats.append(metrics.HeartbeatThread(lambda: runtime.app.engine, "scheduler", "scheduler"))
                beats[-1].start()

    @signals.worker_shutdown.connect(weak=False)
    def _stopping(sender: Any = None, **_: Any) -> None:
        for beat in beats:  # this process's: the worker's, and the embedded scheduler's it wrote
            beat.stop()

    @signals.worker_process_init.connect(weak=False)
    def _after_fork(**_: Any) -> None:
        runtime.reset()

    @signals.worker_process_shutdown.connect(weak=False)
    def _pool_process_ends(pid: int | None = None, **_: Any) -> None:
        metrics.process_ended(pid)

    return app
