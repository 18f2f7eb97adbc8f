"""Delivering mail rows: claim, send, record; retry with backoff on temporary failures.

A row is claimed (status 'sending', phase 'connecting') in a committed
transaction before the message leaves, so a second worker, or the same task
delivered twice, finds it taken and sends nothing. Just before the SMTP DATA
command the row's phase becomes 'data', committed, so what a crash leaves behind
says how far it got:

- no 'data' phase: the message certainly did not leave; after the lease
  (`CYCLE_MAIL_LEASE`) it goes back to 'retrying' by itself;
- the server answered 250: the worker notes it in a local journal file first and
  then writes 'sent', retrying the write with backoff while the database is away;
  the journal is replayed before any lease expires, so a database outage never
  makes delivered mail look unsent;
- 'data' phase and no 250 recorded: the only truly uncertain window. It is sent
  again after the lease with the same Message-ID, which mail clients use to
  collapse a duplicate (docs/reliability.md says why this and not an officer).
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from workflow.engine import Engine
from workflow.errors import Busy
from workflow.store.backoff import describe, doubling_delay
from workflow.store.models import Cycle, Document, Mail, Paper
from workflow.store.outbox import wall_clock
from workflow.store.paper_store import PaperStore, StoredFileAltered

from .disclosure import WITHHELD, recipient_entitled
from .mail import Attachment, Mailer, PermanentFailure, TemporaryFailure, build_message

# The database away, or a row held past the worker's lock wait (`Busy`): either passes, and the row's
# lease settles it; never a reason to fail a message or to send it again.
UNAVAILABLE = (OperationalError, Busy)

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DeliveryPolicy:
    sender: str = "strategy-cycle@example.org"
    sender_name: str = "Strategy cycle"
    retry_base: float = 30.0  # seconds before the first retry; doubles each time
    retry_cap: float = 3600.0
    lease: float = 600.0  # CYCLE_MAIL_LEASE: a row 'sending' for longer than this is settled (see the module)
    settle_for: float = 300.0  # how long a worker holding a 250 keeps retrying the 'sent' write itself
    max_attempts: int = 8  # temporary failures after which a row is marked failed (about two hours at 30 s)


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class TakenOver(Exception):
    """The row is no longer this worker's claim (its lease expired): hand nothing over."""


class Delivery:
    def __init__(self, engine: Engine, mailer: Mailer, policy: DeliveryPolicy,
                 documents: PaperStore | None = None, journal: Path | None = None) -> None:
        self.engine = engine
        self.mailer = mailer
        self.policy = policy
        self.documents = documents
        self.journal = journal  # a folder of this machine: one file per 250 not yet recorded in the database

    def deliver_due(self, *, limit: int = 100) -> DeliveryReport:
        report = DeliveryReport()
        self.expire_leases()
        for _ in range(limit):
            claim = self._claim(None)
            if claim is None:
                break
            self._send(*claim, report)
        return report

    def deliver(self, mail_id: int) -> DeliveryReport:
        """Deliver one row if it is still waiting; a second call for the same row does nothing."""
        report = DeliveryReport()
        claim = self._claim(mail_id)
        if claim is not None:
            self._send(*claim, report)
        return report

    def _claim(self, mail_id: int | None) -> tuple[int, dt.datetime] | None:
        """Take one due row: its id and the claim's time, which only this worker's claim carries."""
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            query = (select(Mail).where(Mail.status.in_(("pending", "retrying")), Mail.next_attempt_at <= now)
                     .order_by(Mail.next_attempt_at, Mail.id).limit(1).with_for_update(skip_locked=True))
            if mail_id is not None:
                query = query.where(Mail.id == mail_id)
            row = session.scalars(query).first()
            if row is None:
                return None
            row.status, row.claimed_at, row.attempts, row.phase = "sending", now, row.attempts + 1, "connecting"
            row.last_error = None  # the previous attempt's error would read as this one's
            return row.id, now

    def _message(self, row: Mail) -> object:
        attachments: list[Attachment] = []
        with self.engine.sessions() as session:
            for paper_id in row.attachments.get("papers", []):
                paper = session.get(Paper, paper_id)
                if paper is None:
                    continue
                maintype, _, subtype = (mimetypes.guess_type(paper.filename)[0] or "application/octet-stream"
                                        ).partition("/")
                content = self.engine.papers.get_verified(paper.sha256, f"paper {paper.id} ({paper.paper})")
                attachments.append(Attachment(paper.filename, content, maintype, subtype))
        for item in row.attachments.get("documents", []):
            with self.engine.sessions() as session:
                document = session.get(Document, item["id"])
            if document is None or self.documents is None:
                continue
            fmt = item.get("format", "pdf")
            content = self.documents.get_verified(getattr(document, f"{fmt}_sha256"), f"document {document.id} ({fmt})")
            subtype = {"pdf": "pdf", "html": "html", "docx": "vnd.openxmlformats-officedocument.wordprocessingml.document"}[fmt]
            maintype = "text" if fmt == "html" else "application"
            name = f"{document.spec}-{document.version}-{document.id}.{fmt}"
            attachments.append(Attachment(name, content, maintype, subtype))
        with self.engine.sessions() as session:
            cycle = session.get(Cycle, row.cycle_id) if row.cycle_id is not None else None  # None: an account's
            definition = self.engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version) \
                if cycle else None
        person = definition.people.get(row.person) if definition and row.person else None
        to_name = (person.name or person.title) if person else ""
        return build_message(sender=self.policy.sender, sender_name=self.policy.sender_name, to_name=to_name,
                             to_address=row.recipient, subject=row.subject, text=row.text_body, html=row.html_body,
                             dated=row.dated, message_id=row.message_id, attachments=attachments,
                             invite=row.attachments.get("invite"))

    def _send(self, mail_id: int, claimed_at: dt.datetime, report: DeliveryReport) -> None:
        with self.engine.sessions() as session:
            row = session.get(Mail, mail_id)
            assert row is not None
            session.expunge(row)
        outcome, error = "sent", None
        try:
            with self.engine.sessions() as session:
                entitled = recipient_entitled(self.engine, session, row)
        except UNAVAILABLE:
            log.info("mail %s not handed over: the database is unreachable; it is sent after the lease", mail_id)
            return
        if not entitled:  # nothing leaves; an officer reading the row learns why
            try:
                self._record_failure(mail_id, "failed", WITHHELD, report, claimed_at)
            except UNAVAILABLE:
                log.info("mail %s withheld; not recorded, the database is unreachable", mail_id)
            return

        def before_data() -> None:
            # Committed before the first byte of the message: a crash from here on may have delivered it.
            with self.engine.unit_of_work() as session:
                taken = session.execute(update(Mail).where(Mail.id == mail_id, Mail.status == "sending",
                                                           Mail.claimed_at == claimed_at).values(phase="data"))
                if not getattr(taken, "rowcount", 0):
                    raise TakenOver(mail_id)

        try:
            self.mailer.send(self._message(row), before_data=before_data)  # type: ignore[arg-type]
        except TakenOver:
            log.warning("mail %s: its lease expired before it was handed over; left to the worker that has it now",
                        mail_id)
            return
        except UNAVAILABLE:
            # The database went away before DATA: nothing left; the lease puts the row back to 'retrying'.
            log.info("mail %s not handed over: the database is unreachable; it is sent after the lease", mail_id)
            return
        except TemporaryFailure as exc:
            outcome, error = "retrying", str(exc)
        except PermanentFailure as exc:
            outcome, error = "failed", str(exc)
        except StoredFileAltered as exc:  # never send a paper whose bytes are not the ones recorded
            outcome, error = "failed", f"not sent: {exc}"
        except ValueError as exc:  # the email package refusing a malformed header or address
            outcome, error = "failed", f"the message could not be built: {exc}"
        except Exception as exc:  # anything else is this row's alone, and ends in a definite status
            outcome, error = "failed", f"the message could not be built or sent: {describe(exc)}"
        if outcome == "sent":
            self._settle_sent(mail_id, claimed_at)
            report.sent.append(mail_id)
            return
        try:
            self._record_failure(mail_id, outcome, error, report, claimed_at)
        except UNAVAILABLE:
            log.info("mail %s: '%s' not recorded, the database is unreachable; the lease settles it", mail_id,
                     outcome)

    def _record_failure(self, mail_id: int, outcome: str, error: str | None, report: DeliveryReport,
                        claimed_at: dt.datetime) -> None:
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            # Only while the claim is still this worker's: after its lease another worker may be sending it.
            stored = session.scalars(select(Mail).where(Mail.id == mail_id, Mail.status == "sending",
                                                        Mail.claimed_at == claimed_at).with_for_update()).first()
            if stored is None:
                log.warning("mail %s: '%s' not recorded, its lease expired and another worker has it", mail_id,
                            outcome)
                return
            if outcome == "retrying" and stored.attempts >= self.policy.max_attempts:
                outcome, error = "failed", f"{error} (gave up after {stored.attempts} attempts)"
            stored.status, stored.last_error, stored.phase = outcome, error, None
            if outcome == "retrying":
                delay = doubling_delay(stored.attempts, base=self.policy.retry_base, cap=self.policy.retry_cap)
                stored.next_attempt_at = now + dt.timedelta(seconds=delay)
                report.retrying.append(mail_id)
                log.warning("mail %s to %s: %s; trying again in %.0f s", mail_id, stored.recipient, error, delay)
            else:
                report.failed.append(mail_id)
                log.error("mail %s to %s failed: %s", mail_id, stored.recipient, error)

    def send_once(self, mail_id: int, *, reveal: dict[str, str]) -> str | None:
        """Send a row written already claimed ('sending'), its masked secrets put back in memory only.

        For an email carrying a one-time secret (an invitation or reset link) that the database keeps
        only masked: the row's text says `[mask]` where the message says the secret. It is sent once,
        now, by the process that made the secret; a failure is final (the workers cannot send the
        secret, which they never see) and is returned as a sentence, None when sent.
        """
        with self.engine.sessions() as session:
            row = session.get(Mail, mail_id)
            assert row is not None and row.status == "sending"
            session.expunge(row)
        for mask, secret in reveal.items():  # on the detached copy: the stored row keeps the mask
            row.text_body, row.html_body = row.text_body.replace(mask, secret), row.html_body.replace(mask, secret)
        error: str | None = None
        try:
            self.mailer.send(self._message(row))  # type: ignore[arg-type]
        except (TemporaryFailure, PermanentFailure) as exc:
            error = str(exc)
        except Exception as exc:  # the message could not be built: this row fails, nothing else
            error = f"the message could not be built or sent: {describe(exc)}"
        try:
            with self.engine.unit_of_work() as session:
                stored = session.get(Mail, mail_id)
                assert stored is not None
                stored.status, stored.last_error = ("failed", error) if error else ("sent", None)
                stored.sent_at = None if error else wall_clock()
        except UNAVAILABLE as exc:
            # The outcome stands whatever the database does: the row is settled by its lease later.
            log.warning("mail %s: its outcome was not recorded, the database is unreachable: %s", mail_id,
                        describe(exc))
        return error

    def _settle_sent(self, mail_id: int, claimed_at: dt.datetime) -> None:
        """Record a 250: in the journal at once, then in the database, retrying while it is away."""
        noted = self._note(mail_id)
        delay, give_up = 0.5, time.monotonic() + self.policy.settle_for
        while True:
            try:
                self._mark_sent(mail_id, wall_clock(), claimed_at)
                break
            except UNAVAILABLE:
                if time.monotonic() + delay > give_up:
                    log.warning("mail %s was delivered; 'sent' is kept in %s until the database is back", mail_id,
                                noted)
                    return
                time.sleep(delay)
                delay = min(delay * 2, 15.0)
        if noted is not None:
            noted.unlink(missing_ok=True)

    def _note(self, mail_id: int) -> Path | None:
        if self.journal is None:
            return None
        try:
            self.journal.mkdir(parents=True, exist_ok=True)
            path = self.journal / str(mail_id)
            path.write_text(wall_clock().isoformat(), encoding="utf-8")
            return path
        except OSError as exc:  # the database write below still records it; only the safety net is missing
            log.warning("mail %s: could not note its delivery in %s: %s", mail_id, self.journal, exc)
            return None

    def _mark_sent(self, mail_id: int, at: dt.datetime, claimed_at: dt.datetime | None = None) -> None:
        """Record a 250; with `claimed_at`, never over a newer worker's live claim (it records its own)."""
        query = update(Mail).where(Mail.id == mail_id, Mail.status != "sent")
        if claimed_at is not None:
            query = query.where(or_(Mail.status != "sending", Mail.claimed_at == claimed_at))
        with self.engine.unit_of_work() as session:
            session.execute(query.values(status="sent", sent_at=at, phase=None, last_error=None))

    def replay_journal(self) -> int:
        """Record the 250s this machine's workers noted while the database was away."""
        if self.journal is None or not self.journal.is_dir():
            return 0
        done = 0
        for path in sorted(self.journal.iterdir()):
            if not path.name.isdigit():
                continue
            try:
                at = dt.datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
            except (OSError, ValueError):
                at = wall_clock()
            self._mark_sent(int(path.name), at)
            path.unlink(missing_ok=True)
            done += 1
        if done:
            log.info("recorded %d delivered mail noted while the database was away", done)
        return done

    def expire_leases(self) -> int:
        """Settle rows whose worker stopped: noted 250s become 'sent', the rest go back to 'retrying'."""
        self.replay_journal()
        now = wall_clock()
        cutoff = now - dt.timedelta(seconds=self.policy.lease)
        settled = 0
        with self.engine.unit_of_work() as session:
            for row in session.scalars(select(Mail).where(Mail.status == "sending", Mail.claimed_at < cutoff)
                                       .with_for_update(skip_locked=True)):
                if row.cycle_id is None:  # a one-time link: its secret died with the process (`send_once`)
                    row.status, row.phase = "failed", None
                    row.last_error = (f"the process sending this one-time link stopped; send a new one with "
                                      f"'cycle users reset {row.recipient}'")
                    settled += 1
                    continue
                handing_over = row.phase == "data"
                reason = ("the worker sending this stopped while handing it over; sent again with the same "
                          "Message-ID, so a copy that did arrive shows once" if handing_over else
                          "the worker sending this stopped before handing it over; sent again")
                if row.attempts >= self.policy.max_attempts:
                    row.status, row.last_error = "failed", f"{reason} (gave up after {row.attempts} attempts)"
                else:
                    row.status, row.last_error, row.next_attempt_at = "retrying", reason, now
                row.phase = None
                settled += 1
                log.warning("mail %s to %s: %s", row.id, row.recipient, reason)
        return settled


def retry_as(engine: Engine, mail_id: int, actor: str) -> Mail:
    """`retry`, for `actor` of the mail's cycle, refused unless they may manage its failed work (`check_officer`)."""
    from workflow.commands.repair import check_officer
    from workflow.errors import InvalidInput, NotFound

    with engine.sessions() as session:
        item = session.get(Mail, mail_id)
        if item is None:
            raise NotFound(f"there is no mail {mail_id}")
        if item.cycle_id is None:
            raise InvalidInput(f"mail {mail_id} is an account's one-time link; send a new one with "
                               f"'cycle users reset {item.recipient}'")
        cycle = session.get(Cycle, item.cycle_id)
        assert cycle is not None
        definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
    check_officer(definition, actor, "mail")
    return retry(engine, mail_id)


def retry(engine: Engine, mail_id: int) -> Mail:
    """Put a failed or uncertain row back in the queue, at an officer's request."""
    from workflow.errors import InvalidInput, NotFound

    with engine.unit_of_work() as session:
        row = session.get(Mail, mail_id)
        if row is None:
            raise NotFound(f"there is no mail {mail_id}")
        if row.status in ("sent", "sending", "pending"):
            raise InvalidInput(f"mail {mail_id} is {row.status}; only failed, retrying or uncertain mail is retried")
        if not recipient_entitled(engine, session, row):
            raise InvalidInput(f"mail {mail_id} is not sent again: {row.recipient} is no longer entitled to the "
                               f"papers or documents it carries")
        row.status, row.next_attempt_at, row.last_error = "pending", wall_clock(), None
        session.flush()
        session.expunge(row)
        return row
