"""The web service's own settings, read from the environment beside `workflow.settings.Settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from workflow.errors import ConfigurationError
from workflow.settings import positive_number


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    return positive_number(env, name, default, unit="hours")


def _password_cost(env: Mapping[str, str]) -> str:
    cost = env.get("CYCLE_PASSWORD_COST") or "standard"
    if cost not in ("standard", "test"):
        raise ConfigurationError(f"CYCLE_PASSWORD_COST='{cost}' should be 'standard' (leave it unset) or 'test', "
                                 "which only a test suite may use")
    return cost


@dataclass(frozen=True, kw_only=True)
class WebSettings:
    base_url: str = "http://127.0.0.1:8000"  # where people open the service: links in emails point here
    secure_cookies: bool = True  # False only for plain http on a developer's own machine
    session_hours: float = 12.0
    link_hours: float = 72.0  # how long an invitation or reset link works
    lock_after: int = 10  # consecutive wrong passwords that lock an account
    lock_minutes: float = 30.0
    client_attempts: int = 50  # sign-in attempts one client address may make in `client_window` minutes
    client_window: float = 15.0
    oidc_issuer: str = ""  # empty: no OpenID Connect sign-in
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = "your organisation's account"
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
        return cls(
            base_url=(env.get("CYCLE_WEB_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            secure_cookies=secure == "true",
            session_hours=_hours(env, "CYCLE_WEB_SESSION_HOURS", 12.0),
            oidc_issuer=issuer.rstrip("/"),
            oidc_client_id=client_id,
            oidc_client_secret=env.get("CYCLE_OIDC_CLIENT_SECRET", ""),
            oidc_name=env.get("CYCLE_OIDC_NAME") or "your organisation's account",
            secret=env.get("CYCLE_WEB_SECRET", ""),
            metrics_token=env.get("CYCLE_METRICS_TOKEN", ""),
            password_cost=_password_cost(env),
        )
