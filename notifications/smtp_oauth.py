"""SMTP AUTH XOAUTH2: sending mail with an access token from the council's identity provider, no password.

Exchange Online turns basic authentication for SMTP off; what it accepts instead
is an OAuth 2.0 access token for the mailbox, presented with the XOAUTH2
mechanism. This service is a daemon, so the token comes by the client-credentials
grant (RFC 6749 section 4.4) through Authlib's OAuth2Client, the same library that
signs people in, and works with any provider's token endpoint (Entra ID, Keycloak).

The token is kept in memory and fetched again a few minutes before it expires,
so a worker asks the provider about once an hour, not once a message. A token
that cannot be had, or that the server refuses, is a TemporaryFailure with the
reason: the mail row waits and is retried like any other, and the next attempt
asks for a fresh token.
"""

from __future__ import annotations

import smtplib
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # Authlib would rather httpx2 than httpx, the HTTP client this project already has; the warning says
    # nothing an operator can act on, so a worker does not print it at start.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

from workflow.errors import ConfigurationError
from workflow.settings import Settings

from .mail import TemporaryFailure

EARLY = 300.0  # seconds before expiry a token is replaced (at most half its life), as MSAL does


class TokenSource:
    """Access tokens by the client-credentials grant, cached until shortly before they expire."""

    def __init__(self, *, token_url: str, client_id: str, secret_file: Path, scope: str, timeout: float = 30.0,
                 now: Callable[[], float] = time.time) -> None:
        self.token_url, self.client_id, self.secret_file, self.scope = token_url, client_id, secret_file, scope
        self.timeout = timeout
        self.now = now
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()  # one fetch at a time, when threads share a mailer

    def token(self) -> str:
        with self._lock:
            if self._token is None or self.now() >= self._renew_at:
                self._token, self._renew_at = self._fetch()
            return self._token

    def forget(self) -> None:
        """Drop the cached token (the server refused it): the next `token()` asks the provider again."""
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        where = f"the token endpoint {self.token_url}"
        try:
            # Read at each fetch, so a rotated secret is used without restarting the workers.
            secret = self.secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise TemporaryFailure(f"no access token for SMTP: could not read CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE "
                                   f"({exc.strerror or exc})") from None
        asked = self.now()
        try:
            with OAuth2Client(self.client_id, secret, scope=self.scope, timeout=self.timeout,
                              token_endpoint_auth_method="client_secret_post") as client:
                token = client.fetch_token(self.token_url, grant_type="client_credentials")
        except AuthlibBaseError as exc:
            detail = f": {exc.description}" if getattr(exc, "description", None) else ""
            raise TemporaryFailure(f"no access token for SMTP: {where} refused client {self.client_id} "
                                   f"({exc.error}{detail})") from None
        except httpx.HTTPStatusError as exc:
            raise TemporaryFailure(f"no access token for SMTP: {where} answered "
                                   f"{exc.response.status_code} {exc.response.reason_phrase}") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise TemporaryFailure(f"no access token for SMTP: could not reach {where}: {exc}") from None
        access = token.get("access_token")
        if not access:
            raise TemporaryFailure(f"no access token for SMTP: {where} answered without an access_token")
        lifetime = float(token.get("expires_in") or 3600)
        return str(access), asked + lifetime - min(EARLY, lifetime / 2)


class XOAuth2:
    """SmtpMailer's authenticator: AUTH XOAUTH2 as the mailbox in the URL, with a token from `tokens`."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def authenticate(self, client: smtplib.SMTP, username: str) -> None:
        token = self.tokens.token()
        client.ehlo_or_helo_if_needed()

        def respond(challenge: bytes | None = None) -> str:
            # The first answer is the token; to a challenge (the server's JSON error) the answer is empty,
            # after which the server gives its final reply.
            return "" if challenge is not None else f"user={username}\x01auth=Bearer {token}\x01\x01"

        try:
            client.auth("XOAUTH2", respond, initial_response_ok=True)
        except smtplib.SMTPAuthenticationError as exc:
            self.tokens.forget()
            reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise TemporaryFailure(
                f"the server refused the access token for {username}: {exc.smtp_code} {reply} (check that the "
                "app may send as this mailbox and that SMTP AUTH is on for it)") from None


def authenticator(settings: Settings) -> XOAuth2 | None:
    """The XOAUTH2 authenticator CYCLE_SMTP_URL asks for with auth=xoauth2, or None; a setting missing
    or contradicting another is a ConfigurationError at start-up, not a failure at the first email."""
    if not settings.smtp_url:
        return None
    parts = urlsplit(settings.smtp_url)
    auth = parse_qs(parts.query).get("auth", [""])[0].lower()
    if auth not in ("", "xoauth2"):
        raise ConfigurationError(f"CYCLE_SMTP_URL asks for auth={auth}; the only mechanism to ask for is "
                                 "auth=xoauth2 (a user and password in the URL need none)")
    oauth = settings.smtp_oauth_token_url or settings.smtp_oauth_client_id or settings.smtp_oauth_client_secret_file
    if auth != "xoauth2":
        if oauth:
            raise ConfigurationError("CYCLE_SMTP_OAUTH_* are set but CYCLE_SMTP_URL does not ask for them; add "
                                     "auth=xoauth2 to it, as in smtp://mailbox@host:587?starttls=true&auth=xoauth2")
        return None
    if not parts.username:
        raise ConfigurationError("CYCLE_SMTP_URL has auth=xoauth2 but no mailbox to send as; put it before the "
                                 "host, as in smtp://officer@council.gov.uk@smtp.office365.com:587")
    if parts.password:
        raise ConfigurationError("CYCLE_SMTP_URL has auth=xoauth2 and a password; remove the password")
    missing = [name for name, value in (("CYCLE_SMTP_OAUTH_TOKEN_URL", settings.smtp_oauth_token_url),
                                        ("CYCLE_SMTP_OAUTH_CLIENT_ID", settings.smtp_oauth_client_id),
                                        ("CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE",
                                         settings.smtp_oauth_client_secret_file)) if not value]
    if missing:
        raise ConfigurationError(f"CYCLE_SMTP_URL has auth=xoauth2, so set {', '.join(missing)} too")
    secret_file = settings.smtp_oauth_client_secret_file
    assert secret_file is not None
    if not secret_file.is_file():
        raise ConfigurationError(f"CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE={secret_file} is not a file this "
                                 "service can see")
    return XOAuth2(TokenSource(token_url=settings.smtp_oauth_token_url, client_id=settings.smtp_oauth_client_id,
                               secret_file=secret_file, scope=settings.smtp_oauth_scope))
