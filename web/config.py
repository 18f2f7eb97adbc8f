"""The web service's own settings, read from the environment beside `workflow.settings.Settings`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from workflow.errors import ConfigurationError
from workflow.settings import positive_number


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    return positive_number(env, name, default, unit="hours")


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ENTRA_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn")


def entra_tenant(issuer: str, configured: str) -> str:
    """The tenant ID an Entra ID issuer URL pins, checked against CYCLE_OIDC_TENANT when that is set too.

    Entra's multi-tenant endpoints (common, organizations, consumers) would let any organisation's
    accounts through, and its ID tokens carry the tenant's GUID: only a GUID pins the council.
    """
    parts = urlsplit(issuer)
    if parts.hostname not in _ENTRA_HOSTS:
        if configured and not _GUID.fullmatch(configured.lower()):
            raise ConfigurationError(f"CYCLE_OIDC_TENANT='{configured}' should be a tenant ID (a GUID)")
        return configured.lower()
    segment = parts.path.strip("/").split("/")[0].lower()
    if not _GUID.fullmatch(segment):
        raise ConfigurationError(
            f"CYCLE_OIDC_ISSUER='{issuer}' does not name your tenant by its ID; use "
            f"https://{parts.hostname}/<tenant ID>/v2.0 (the Directory (tenant) ID of the app registration), "
            "so that only your organisation's accounts can sign in")
    if configured and configured.lower() != segment:
        raise ConfigurationError(f"CYCLE_OIDC_TENANT='{configured}' is not the tenant of CYCLE_OIDC_ISSUER ({segment})")
    return segment


def _password_cost(env: Mapping[str, str]) -> str:
    cost = env.get("CYCLE_PASSWORD_COST") or "standard"
    if cost not in ("standard", "test"):
        raise ConfigurationError(f"CYCLE_PASSWORD_COST='{cost}' should be 'standard' (leave it unset) or 'test', "
                                 "which only a test suite may use")
    return cost


@dataclass(frozen=True, kw_only=True)
class WebSettings:
    base_url: str = "http://127.0.0.1:8000"  # where people open the service: links in emails point here
    base_url_set: bool = False  # CYCLE_WEB_BASE_URL given; otherwise pages take the address from the request
    secure_cookies: bool = True  # False only for plain http on a developer's own machine
    session_hours: float = 12.0
    link_hours: float = 72.0  # how long an invitation or reset link works
    lock_after: int = 10  # wrong passwords for one email from one client address before each try must wait
    lock_minutes: float = 30.0  # the longest wait, and how long a wrong password counts
    client_attempts: int = 50  # sign-in attempts one client address may make in `client_window` minutes
    client_window: float = 15.0
    email_lock_after: int = 30  # wrong passwords for one email from all addresses but its owner's before each waits
    oidc_issuer: str = ""  # empty: no OpenID Connect sign-in
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = "your organisation's account"
    # Microsoft Entra ID: the council's tenant ID. Set, a token's `tid` must equal it and the person is
    # known by tenant and object id; derived from an Entra issuer URL (login.microsoftonline.com/<tenant>/v2.0).
    oidc_tenant: str = ""
    metrics_token: str = ""  # a scraper sending it as a Bearer token may read /metrics; empty: admins only
    secret: str = ""  # signs the OpenID Connect sign-in cookie; empty: a key kept in the data directory
    # CYCLE_PASSWORD_COST=test: Argon2's cheapest parameters, so a test suite signs in by the hundred.
    # Test suites only: such hashes are quick to guess. Every other value, and none, is the standard cost.
    password_cost: str = "standard"

    @property
    def oidc(self) -> bool:
        return bool(self.oidc_issuer)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if env is None else env
        secure = (env.get("CYCLE_WEB_SECURE_COOKIES") or "true").lower()
        if secure not in ("true", "false"):
            raise ConfigurationError(f"CYCLE_WEB_SECURE_COOKIES='{secure}' should be 'true' or 'false'")
        issuer = env.get("CYCLE_OIDC_ISSUER", "")
        client_id = env.get("CYCLE_OIDC_CLIENT_ID", "")
        if issuer and not client_id:
            raise ConfigurationError("CYCLE_OIDC_ISSUER is set but CYCLE_OIDC_CLIENT_ID is not; set both")
        tenant = entra_tenant(issuer.rstrip("/"), env.get("CYCLE_OIDC_TENANT", "").strip())
        if tenant and urlsplit(issuer).hostname in _ENTRA_HOSTS:
            # Entra writes the tenant in lower case in a token's `iss`, which must equal this exactly.
            issuer = issuer.replace(issuer.split("/")[3], tenant, 1)
        return cls(
            base_url=(env.get("CYCLE_WEB_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            base_url_set=bool(env.get("CYCLE_WEB_BASE_URL")),
            secure_cookies=secure == "true",
            session_hours=_hours(env, "CYCLE_WEB_SESSION_HOURS", 12.0),
            oidc_issuer=issuer.rstrip("/"),
            oidc_client_id=client_id,
            oidc_client_secret=env.get("CYCLE_OIDC_CLIENT_SECRET", ""),
            oidc_name=env.get("CYCLE_OIDC_NAME") or "your organisation's account",
            oidc_tenant=tenant,
            secret=env.get("CYCLE_WEB_SECRET", ""),
            metrics_token=env.get("CYCLE_METRICS_TOKEN", ""),
            password_cost=_password_cost(env),
        )


def site_url(web: WebSettings, request_base: str) -> str:
    """Where people open the service: the configured address, else the one this request came to.

    Behind a proxy the request's own address is right only with forwarded headers trusted
    (`cycle web` runs uvicorn with proxy_headers), which is why production sets CYCLE_WEB_BASE_URL.
    """
    return web.base_url if web.base_url_set else request_base.rstrip("/")


def disagreement(web: WebSettings, host: str, port: int) -> str | None:
    """A warning when CYCLE_WEB_BASE_URL names this machine on another port than the one served."""
    if not web.base_url_set:
        return None
    parts = urlsplit(web.base_url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1", host)
    served = parts.port or (443 if parts.scheme == "https" else 80)
    if local and served != port:
        return (f"CYCLE_WEB_BASE_URL is {web.base_url} but this server listens on port {port}: links in "
                f"emails and calendar addresses will point at port {served}")
    return None
