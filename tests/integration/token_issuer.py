"""The OpenID provider mock (oidc-provider-mock) on loopback, taught the client-credentials grant, and an
SMTP server (aiosmtpd) that accepts only STARTTLS and AUTH XOAUTH2 with a token that provider issued: Exchange Online's
arrangement once basic authentication is off.

The mock's own token endpoint serves people (authorization code, refresh token); a daemon's token comes
from a second endpoint on the same Flask app, run by Authlib's AuthorizationServer with its
ClientCredentialsGrant, as a real provider's is. The SMTP server checks a token against what the provider
issued (in place of Exchange checking the token's signature) and that it has not expired.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import oidc_provider_mock
import werkzeug.serving
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants

from tests.integration.smtp import SmtpServer

CLIENT_ID = "strategy-cycle-mail"
CLIENT_SECRET = "a client secret for the tests"
SCOPE = "https://outlook.office365.com/.default"
MAILBOX = "officer@council.gov.uk"
TOKEN_PATH = "/oauth2/v2.0/token"  # where Entra ID serves it, under the tenant


@dataclass
class _Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    secret: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        return scope if scope == SCOPE else ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _ClientCredentials(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post", "client_secret_basic"]


@dataclass
class Issued:
    token: str
    client_id: str
    scope: str
    expires_at: float


@dataclass
class TokenIssuer:
    """The provider: its token endpoint's URL, the tokens it issued, and switches a test turns."""

    url: str = ""
    expires_in: int = 3600
    down: bool = False  # answer 503, as a provider in trouble does
    issued: list[Issued] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_url(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    def valid(self, token: str) -> bool:
        with self.lock:
            return any(i.token == token and i.expires_at > time.time() and i.scope == SCOPE for i in self.issued)

    def revoke_all(self) -> None:
        with self.lock:
            self.issued.clear()

    def tokens(self) -> list[str]:
        with self.lock:
            return [i.token for i in self.issued]


@contextmanager
def token_issuer() -> Iterator[TokenIssuer]:
    issuer = TokenIssuer()
    app = oidc_provider_mock.app()
    clients = {CLIENT_ID: _Client(CLIENT_ID, CLIENT_SECRET)}

    def save_token(token: dict[str, Any], request: Any) -> None:
        with issuer.lock:
            issuer.issued.append(Issued(token["access_token"], request.client.client_id, token.get("scope", ""),
                                        time.time() + token["expires_in"]))

    def generate(grant_type: str, client: Any, user: Any = None, scope: str | None = None,
                 expires_in: int | None = None, include_refresh_token: bool = True) -> dict[str, Any]:
        return {"token_type": "Bearer", "access_token": secrets.token_urlsafe(32), "expires_in": issuer.expires_in,
                "scope": scope or ""}

    server = AuthorizationServer(query_client=clients.get, save_token=save_token)
    server.register_grant(_ClientCredentials)
    server.register_token_generator("default", generate)

    def issue() -> Any:
        if issuer.down:
            return "The service is unavailable", 503
        return server.create_token_response()

    app.add_url_rule(TOKEN_PATH, "client_credentials_token", issue, methods=["POST"])
    http = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    issuer.url = f"http://127.0.0.1:{http.server_port}"
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        http.shutdown()
        thread.join(5)
        http.server_close()


class _XOAuth2Inbox:
    """The SMTP server's AUTH XOAUTH2, an aiosmtpd handler's `auth_` hook: the token must be one the provider
    issued and that has not expired; a refusal is the JSON challenge and 535, as Exchange Online answers."""

    def __init__(self, issuer: TokenIssuer, inbox: Any) -> None:
        self.issuer, self.inbox = issuer, inbox
        self.signed_in: list[tuple[str, str]] = []  # (user, token) of each accepted AUTH

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        try:
            blob = base64.b64decode(args[1], validate=True) if len(args) == 2 else await server.challenge_auth("")
        except binascii.Error:
            await server.push("501 5.5.2 Can't decode base64")
            return AuthResult(success=False, handled=True)
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=True)
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part)
        user, auth = fields.get("user", ""), fields.get("auth", "")
        token = auth.removeprefix("Bearer ")
        if user == MAILBOX and auth.startswith("Bearer ") and self.issuer.valid(token):
            self.signed_in.append((user, token))
            return AuthResult(success=True, auth_data=user)
        await server.challenge_auth('{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/SMTP.Send"}')
        return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")

    async def handle_RCPT(self, *args: Any) -> str:
        return str(await self.inbox.handle_RCPT(*args))

    async def handle_DATA(self, *args: Any) -> str:
        return str(await self.inbox.handle_DATA(*args))


def self_signed(folder: Path) -> Path:
    """A certificate and key for 127.0.0.1 in one PEM file: the SMTP server's, and the CA a client trusts
    through SSL_CERT_FILE, which `ssl.create_default_context()` reads."""
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / "smtp-key.pem", folder / "smtp-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert


class XOAuth2SmtpServer(SmtpServer):
    """`SmtpServer` as Exchange Online is once basic authentication is off: STARTTLS first, then AUTH XOAUTH2,
    the only mechanism it offers (no PLAIN, no LOGIN), before any MAIL."""

    def __init__(self, issuer: TokenIssuer, folder: Path) -> None:
        super().__init__()
        self.auth = _XOAuth2Inbox(issuer, self.inbox)
        self.cert = self_signed(folder)

    @property
    def url(self) -> str:
        return f"smtp://{MAILBOX}@127.0.0.1:{self.port}?starttls=true&auth=xoauth2"

    def start(self) -> None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(self.cert, self.cert.with_name("smtp-key.pem"))
        self.controller = Controller(self.auth, hostname="127.0.0.1", port=self.port, tls_context=tls,
                                     require_starttls=True, auth_required=True,
                                     auth_exclude_mechanism=["PLAIN", "LOGIN"])
        self.controller.start()
