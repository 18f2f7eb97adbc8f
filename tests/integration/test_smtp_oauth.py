"""Mail without a stored password: SMTP AUTH XOAUTH2 with a token from the identity provider (the provider
mock, taught the client-credentials grant) to an aiosmtpd server that accepts nothing else; real PostgreSQL,
Redis and a worker process."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update

from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import PermanentFailure, SmtpMailer, TemporaryFailure, build_message
from notifications.smtp_oauth import TokenSource, XOAuth2
from tests.integration.test_reminders import _first_reminders
from tests.integration.token_issuer import (
    CLIENT_ID,
    CLIENT_SECRET,
    MAILBOX,
    SCOPE,
    TokenIssuer,
    XOAuth2SmtpServer,
    token_issuer,
)
from tests.integration.workers import Worker, wait_until, worker_env
from workflow.app import App
from workflow.errors import ConfigurationError
from workflow.store.models import Mail
from workflow.store.outbox import wall_clock


class FakeTime:
    """Seconds since the epoch, moved by the test: the token's expiry without waiting an hour."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> Iterator[TokenIssuer]:
    with token_issuer() as found:
        yield found


@pytest.fixture
def server(issuer: TokenIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[XOAuth2SmtpServer]:
    found = XOAuth2SmtpServer(issuer, tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(found.cert))  # the client trusts the server's certificate
    found.start()
    yield found
    found.stop()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "smtp-client-secret"
    path.write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    return path


def tokens(issuer: TokenIssuer, secret_file: Path, clock: FakeTime | None = None) -> TokenSource:
    return TokenSource(token_url=issuer.token_url, client_id=CLIENT_ID, secret_file=secret_file, scope=SCOPE,
                       timeout=5, **({"now": clock} if clock else {}))


def message(n: int) -> EmailMessage:
    return build_message(sender=MAILBOX, sender_name="Strategy cycle", to_name="Risk Board",
                         to_address="member@example.org", subject=f"Reminder {n}", text="Due soon.",
                         html="<p>Due soon.</p>", dated=dt.datetime(2021, 8, 5, 8, tzinfo=dt.UTC),
                         message_id=f"<reminder-{n}@example.org>")


def test_mail_goes_with_a_token_from_the_provider_and_no_password(
        issuer: TokenIssuer, server: XOAuth2SmtpServer, secret_file: Path) -> None:
    # Without XOAUTH2 the server takes nothing: it offers no password mechanism and requires AUTH.
    anonymous = server.url.replace(f"{MAILBOX}@", "").replace("&auth=xoauth2", "")
    with pytest.raises(PermanentFailure, match="530"):
        SmtpMailer(anonymous, timeout=5).send(message(0))
    with pytest.raises(ConfigurationError, match="asks for auth=xoauth2"):
        SmtpMailer(server.url)
    clock = FakeTime()
    mailer = SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(tokens(issuer, secret_file, clock)))
    mailer.send(message(1))
    clock.now += 3000  # well inside the hour the token lasts: the same token
    mailer.send(message(2))
    assert len(issuer.tokens()) == 1
    assert [user for user, _ in server.auth.signed_in] == [MAILBOX, MAILBOX]
    clock.now += 3600 - 3000 - 299  # less than five minutes before it expires: a fresh token, before it fails
    mailer.send(message(3))
    assert len(issuer.tokens()) == 2
    assert [token for _, token in server.auth.signed_in] == issuer.tokens()[:1] * 2 + issuer.tokens()[1:]
    assert [r.header("Subject") for r in server.received] == ["Reminder 1", "Reminder 2", "Reminder 3"]


def test_a_token_that_cannot_be_had_is_a_temporary_failure_with_its_reason(
        issuer: TokenIssuer, server: XOAuth2SmtpServer, secret_file: Path, tmp_path: Path) -> None:
    issuer.down = True
    mailer = SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(tokens(issuer, secret_file)))
    with pytest.raises(TemporaryFailure, match=f"no access token for SMTP: .*{issuer.token_url} answered 503"):
        mailer.send(message(1))
    issuer.down = False
    wrong = tmp_path / "wrong-secret"
    wrong.write_text("not the secret", encoding="utf-8")
    refused = SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(tokens(issuer, wrong)))
    with pytest.raises(TemporaryFailure, match=f"refused client {CLIENT_ID} \\(invalid_client"):
        refused.send(message(1))
    with pytest.raises(TemporaryFailure, match="could not read CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE"):
        SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(tokens(issuer, tmp_path / "absent"))).send(message(1))
    closed = TokenSource(token_url="http://127.0.0.1:9/token", client_id=CLIENT_ID, secret_file=secret_file,
                         scope=SCOPE, timeout=5)
    with pytest.raises(TemporaryFailure, match=r"could not reach the token endpoint http://127\.0\.0\.1:9/token"):
        SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(closed)).send(message(1))
    assert server.received == []


def test_a_token_the_server_refuses_is_dropped_and_the_next_attempt_gets_a_new_one(
        issuer: TokenIssuer, server: XOAuth2SmtpServer, secret_file: Path) -> None:
    mailer = SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(tokens(issuer, secret_file)))
    mailer.send(message(1))
    issuer.revoke_all()  # the provider revokes the app's tokens: the cached one is refused
    with pytest.raises(TemporaryFailure, match=f"refused the access token for {MAILBOX}: 535"):
        mailer.send(message(2))
    mailer.send(message(2))
    assert [r.header("Subject") for r in server.received] == ["Reminder 1", "Reminder 2"]


def rows(app: App) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).order_by(Mail.id)))


def test_delivery_retries_a_row_whose_token_could_not_be_had_then_sends_it(
        pg_app: App, tmp_path: Path, issuer: TokenIssuer, server: XOAuth2SmtpServer, secret_file: Path) -> None:
    queued = _first_reminders(pg_app, tmp_path)
    issuer.down = True
    mailer = SmtpMailer(server.url, timeout=5, authenticator=XOAuth2(tokens(issuer, secret_file)))
    delivery = Delivery(pg_app.engine, mailer, DeliveryPolicy(retry_base=60))
    report = delivery.deliver_due(limit=50)
    assert sorted(report.retrying) == sorted(m.id for m in queued) and not report.sent and not report.failed
    waiting = rows(pg_app)
    assert all(m.status == "retrying" and m.attempts == 1 and "answered 503" in (m.last_error or "") for m in waiting)
    assert all(m.next_attempt_at > wall_clock() + dt.timedelta(seconds=50) for m in waiting), "backoff as for SMTP"
    issuer.down = False
    with pg_app.engine.unit_of_work() as session:  # the minute of backoff passes
        session.execute(update(Mail).values(next_attempt_at=wall_clock()))
    report = delivery.deliver_due(limit=50)
    assert sorted(report.sent) == sorted(m.id for m in queued)
    assert all(m.status == "sent" and m.attempts == 2 for m in rows(pg_app))
    assert sorted(r.header("Message-ID") for r in server.received) == sorted(m.message_id for m in queued)
    assert len(issuer.tokens()) == 1, "one token served every message"


def test_a_worker_sends_reminders_over_xoauth2_from_its_settings(
        pg_app: App, pg_url: str, machine_redis: str, tmp_path: Path, issuer: TokenIssuer,
        server: XOAuth2SmtpServer, secret_file: Path) -> None:
    queued = _first_reminders(pg_app, tmp_path)
    env = worker_env(pg_url, machine_redis, tmp_path, CYCLE_SMTP_URL=server.url,
                     CYCLE_SMTP_OAUTH_TOKEN_URL=issuer.token_url, CYCLE_SMTP_OAUTH_CLIENT_ID=CLIENT_ID,
                     CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE=str(secret_file), CYCLE_SMTP_OAUTH_SCOPE=SCOPE,
                     SSL_CERT_FILE=str(server.cert))
    worker = Worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: all(m.status == "sent" for m in rows(pg_app)), "the reminders to go out", 60,
                   check=worker.check)
    finally:
        worker.stop()
    assert sorted(r.header("Message-ID") for r in server.received) == sorted(m.message_id for m in queued)
    assert {user for user, _ in server.auth.signed_in} == {MAILBOX}
    assert len(issuer.tokens()) == 1, "the worker kept its token between deliveries"


def test_settings_for_xoauth2_are_checked_when_the_worker_starts(tmp_path: Path, secret_file: Path) -> None:
    from notifications.smtp_oauth import authenticator
    from tests.conftest import make_settings

    base = make_settings(tmp_path, "sqlite://")
    url = "smtp://officer@council.gov.uk@smtp.office365.com:587?starttls=true&auth=xoauth2"
    full = dataclasses.replace(base, smtp_url=url, smtp_oauth_token_url="https://login.example/token",
                               smtp_oauth_client_id="app", smtp_oauth_client_secret_file=secret_file)
    assert isinstance(authenticator(full), XOAuth2)
    assert SmtpMailer(url, authenticator=authenticator(full)).username == "officer@council.gov.uk"
    assert authenticator(dataclasses.replace(full, smtp_url="smtp://127.0.0.1:25", smtp_oauth_token_url="",
                                             smtp_oauth_client_id="", smtp_oauth_client_secret_file=None)) is None
    for changes, words in (
        ({"smtp_oauth_client_id": ""}, "set CYCLE_SMTP_OAUTH_CLIENT_ID too"),
        ({"smtp_url": url.replace("&auth=xoauth2", "")}, "add auth=xoauth2"),
        ({"smtp_url": url.replace("officer@council.gov.uk@", "")}, "no mailbox to send as"),
        ({"smtp_url": url.replace("auth=xoauth2", "auth=cram-md5")}, "auth=cram-md5"),
        ({"smtp_oauth_client_secret_file": tmp_path / "absent"}, "is not a file"),
    ):
        with pytest.raises(ConfigurationError, match=words):
            authenticator(dataclasses.replace(full, **changes))  # type: ignore[arg-type]
