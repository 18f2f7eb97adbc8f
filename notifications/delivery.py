"""Delivering mail rows: claim, send, record; retry with backoff on temporary failures.

A row is claimed (status 'sending') in a committed transaction before the
message leaves, so a second worker, or the same task delivered twice, finds it
taken and sends nothing. A row left 'sending' by a crash is not sent again
blindly: after the lease it is marked 'uncertain' for an officer to check and
retry with `cycle mail retry`, since the message may already have gone.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from dataclasses import dataclass, field

from sqlalchemy import select, update

from workflow.engine import Engine
from workflow.store.backoff import describe
from workflow.store.models import Cycle, Document, Mail, Paper
from workflow.store.outbox import wall_clock
from workflow.store.paper_store import PaperStore, StoredFileAltered

from .mail import Attachment, Mailer, PermanentFailure, TemporaryFailure, build_message

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DeliveryPolicy:
    sender: str = "strategy-cycle@example.org"
    sender_name: str = "Strategy cycle"
    retry_base: float = 30.0  # seconds before the first retry; doubles each time
    retry_cap: float = 3600.0
    lease: float = 600.0  # a row 'sending' for longer than this is marked uncertain
    max_attempts: int = 8  # temporary failures after which a row is marked failed (about two hours at 30 s)


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class Delivery:
    def __init__(self, engine: Engine, mailer: Mailer, policy: DeliveryPolicy,
                 documents: PaperStore | None = None) -> None:
        self.engine = engine
        self.mailer = mailer
        self.policy = policy
        self.documents = documents

    def deliver_due(self, *, limit: int = 100) -> DeliveryReport:
        report = DeliveryReport()
        self.expire_leases()
        for _ in range(limit):
            mail_id = self._claim(None)
            if mail_id is None:
                break
            self._send(mail_id, report)
        return report

    def deliver(self, mail_id: int) -> DeliveryReport:
        """Deliver one row if it is still waiting; a second call for the same row does nothing."""
        report = DeliveryReport()
        if self._claim(mail_id) is not None:
            self._send(mail_id, report)
        return report

    def _claim(self, mail_id: int | None) -> int | None:
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            query = (select(Mail).where(Mail.status.in_(("pending", "retrying")), Mail.next_attempt_at <= now)
                     .order_by(Mail.next_attempt_at, Mail.id).limit(1).with_for_update(skip_locked=True))
            if mail_id is not None:
                query = query.where(Mail.id == mail_id)
            row = session.scalars(query).first()
            if row is None:
                return None
            row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
            return row.id

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
            cycle = session.get(Cycle, row.cycle_id)
            definition = self.engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version) \
                if cycle else None
        person = definition.people.get(row.person) if definition and row.person else None
        to_name = (person.name or person.title) if person else ""
        return build_message(sender=self.policy.sender, sender_name=self.policy.sender_name, to_name=to_name,
                             to_address=row.recipient, subject=row.subject, text=row.text_body, html=row.html_body,
                             dated=row.dated, message_id=row.message_id, attachments=attachments,
                             invite=row.attachments.get("invite"))

    def _send(self, mail_id: int, report: DeliveryReport) -> None:
        with self.engine.sessions() as session:
            row = session.get(Mail, mail_id)
            assert row is not None
            session.expunge(row)
        outcome, error = "sent", None
        try:
            self.mailer.send(self._message(row))  # type: ignore[arg-type]
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
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            stored = session.get(Mail, mail_id)
            assert stored is not None
            if outcome == "retrying" and stored.attempts >= self.policy.max_attempts:
                outcome, error = "failed", f"{error} (gave up after {stored.attempts} attempts)"
            stored.status, stored.last_error = outcome, error
            if outcome == "sent":
                stored.sent_at = now
                report.sent.append(mail_id)
            elif outcome == "retrying":
                delay = min(self.policy.retry_base * 2 ** (stored.attempts - 1), self.policy.retry_cap)
                stored.next_attempt_at = now + dt.timedelta(seconds=delay)
                report.retrying.append(mail_id)
                log.warning("mail %s to %s: %s; trying again in %.0f s", mail_id, stored.recipient, error, delay)
            else:
                report.failed.append(mail_id)
                log.error("mail %s to %s failed: %s", mail_id, stored.recipient, error)

    def expire_leases(self) -> int:
        cutoff = wall_clock() - dt.timedelta(seconds=self.policy.lease)
        with self.engine.unit_of_work() as session:
            result = session.execute(
                update(Mail).where(Mail.status == "sending", Mail.claimed_at < cutoff)
                .values(status="uncertain", last_error="the worker sending this stopped mid-way: it may have been "
                        "sent; check with the recipient, then 'cycle mail retry' if it was not")
            )
            return int(getattr(result, "rowcount", 0) or 0)


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
        row.status, row.next_attempt_at, row.last_error = "pending", wall_clock(), None
        session.flush()
        session.expunge(row)
        return row
