"""Mail transports behind one small protocol: SMTP for production, a folder of .eml files for the embedded default.

Messages are built with the email package's structured API: addresses are
`Address` objects and the policy refuses a header value with CR or LF in it,
so nothing a definition or a template contains can add a header.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from workflow.errors import ConfigurationError, CycleError


class DeliveryError(CycleError):
    """A message could not be handed over."""


class TemporaryFailure(DeliveryError):
    """Worth trying again later: a 4xx reply, a refused or dropped connection."""


class PermanentFailure(DeliveryError):
    """Not worth trying again: a 5xx reply, a refused address."""


class Mailer(Protocol):
    def send(self, message: EmailMessage, before_data: Callable[[], None] | None = None) -> None:
        """Hand the message over, or raise TemporaryFailure or PermanentFailure.

        `before_data` is called once the server has accepted the envelope, just before the message
        itself is handed over (SMTP DATA): until then a failure means the message certainly did not
        leave. If it raises, nothing is handed over.
        """
        ...


class SmtpAuthenticator(Protocol):
    def authenticate(self, client: smtplib.SMTP, username: str) -> None:
        """Authenticate the connection as `username` (after STARTTLS), or raise TemporaryFailure or
        PermanentFailure."""
        ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_message(*, sender: str, sender_name: str, to_name: str, to_address: str, subject: str, text: str,
                  html: str, dated: object, message_id: str, attachments: list[Attachment] = (),  # type: ignore[assignment]
                  invite: str | None = None) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = Address(display_name=_one_line(sender_name), addr_spec=sender)
    message["To"] = Address(display_name=_one_line(to_name), addr_spec=to_address)
    message["Subject"] = _one_line(subject)
    message["Date"] = format_datetime(dated)  # type: ignore[arg-type]
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to reminders
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if invite:
        # A third alternative, text/calendar with the iTIP method: what mail clients show as Accept / Decline.
        method = "CANCEL" if "\nMETHOD:CANCEL" in invite.replace("\r\n", "\n") else "REQUEST"
        message.add_alternative(invite, subtype="calendar", params={"method": method})
    for item in attachments:
        message.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return message


class SmtpMailer:
    """SMTP from a URL: smtp://user:password@host:587?starttls=true, or smtps://host:465.

    With an `authenticator` (SMTP AUTH XOAUTH2: notifications.smtp_oauth), it signs in as the URL's user
    instead of with a password.
    """

    def __init__(self, url: str, *, timeout: float = 30.0, authenticator: SmtpAuthenticator | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError(f"CYCLE_SMTP_URL='{url}' should look like smtp://user:password@host:587")
        options = parse_qs(parts.query)
        self.host = parts.hostname
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.starttls = options.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.authenticator = authenticator
        if options.get("auth", [""])[0].lower() == "xoauth2" and authenticator is None:
            raise ConfigurationError("CYCLE_SMTP_URL asks for auth=xoauth2; set CYCLE_SMTP_OAUTH_TOKEN_URL and the "
                                     "other CYCLE_SMTP_OAUTH_* settings for it")

    def send(self, message: EmailMessage, before_data: Callable[[], None] | None = None) -> None:
        try:
            if self.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with _quitting(client):
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.authenticator is not None:
                    self.authenticator.authenticate(client, self.username or "")
                elif self.username:
                    client.login(self.username, self.password or "")
                if before_data is not None:
                    client.data = _after(before_data, client.data)  # type: ignore[method-assign,assignment]
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"the server refused {', '.join(exc.recipients)}: " + "; ".join(
                f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values())
            raise (TemporaryFailure if all(400 <= c < 500 for c in codes) else PermanentFailure)(error) from None
        except smtplib.SMTPResponseException as exc:
            reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            error = f"the server replied {exc.smtp_code} {reply}"
            raise (PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure)(error) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"could not talk to {self.host}:{self.port}: {exc}") from None
        if refused:
            raise PermanentFailure(f"the server refused {', '.join(refused)}")


@contextlib.contextmanager
def _quitting(client: smtplib.SMTP) -> Iterator[smtplib.SMTP]:
    """`with client`, except that what QUIT answers is ignored: once DATA had its 250 the message was sent,
    and before it the error that ended the session is the one to report, not QUIT's."""
    try:
        yield client
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            client.close()


def _after(first: Callable[[], None], then: Callable[[bytes], tuple[int, bytes]]) -> Callable[[bytes], tuple[int, bytes]]:
    """`then`, once `first` has run: smtplib's sendmail calls `data` after MAIL and RCPT were accepted."""
    def data(content: bytes) -> tuple[int, bytes]:
        first()
        return then(content)
    return data


class OutboxMailer:
    """The embedded default: each message becomes an .eml file in a folder an officer can open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, before_data: Callable[[], None] | None = None) -> None:
        if before_data is not None:
            before_data()
        self.folder.mkdir(parents=True, exist_ok=True)
        token = "".join(ch for ch in str(message["Message-ID"]) if ch.isalnum())[:24]
        stamp = message["Date"].datetime.strftime("%Y%m%d-%H%M") if message["Date"] else "undated"
        target = self.folder / f"{stamp}-{token}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise TemporaryFailure(f"could not write to {self.folder}: {exc}") from None


def mailer_for(smtp_url: str, outbox: Path, *, authenticator: SmtpAuthenticator | None = None) -> Mailer:
    """The transport the settings name: SMTP when CYCLE_SMTP_URL is set (signing in with `authenticator`
    when given: `smtp_oauth.authenticator`), else the outbox folder."""
    return SmtpMailer(smtp_url, authenticator=authenticator) if smtp_url else OutboxMailer(outbox)
