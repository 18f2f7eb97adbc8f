"""Settings, read from the environment in one place: the entry points call `Settings.from_env()`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import definitions as _shipped
from workflow.errors import ConfigurationError
from workflow.store.attachment import MAX_PAPER_BYTES


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "strategy-cycle"


def positive_number(env: Mapping[str, str], name: str, default: float, unit: str = "seconds") -> float:
    """A setting that is a number of `unit` above 0, or `default` when unset."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}='{raw}' is not a number of {unit}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be more than 0 {unit}")
    return value


def _bytes(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
        raise ConfigurationError(f"{name}='{raw}' should be a whole number of bytes, more than 0")
    return int(raw)


def site_address(env: Mapping[str, str]) -> str:
    """CYCLE_WEB_BASE_URL, where people open the web service (https://cycle.example.org), without a
    trailing slash; '' when unset. Emails link to it, so it must be an http(s) address with a host."""
    raw = (env.get("CYCLE_WEB_BASE_URL") or "").strip()
    if not raw:
        return ""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or any(c.isspace() for c in raw):
        raise ConfigurationError(f"CYCLE_WEB_BASE_URL='{raw}' should be the address people open the service at, "
                                 "such as https://cycle.example.org")
    return raw.rstrip("/")


@dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    definitions_dir: Path
    frozen_now: dt.datetime | None = None  # CYCLE_NOW: pin the clock, for rehearsals and scripts
    shared_clock: bool = False  # CYCLE_CLOCK=shared: every process reads a simulated clock from the database
    broker_url: str = ""  # empty: the embedded transport, which needs no server
    queue: str = "strategy-cycle"
    sweep_interval: float = 60.0
    relay_interval: float = 2.0
    redeliver_after: float = 300.0  # an event dispatched but not handled this long is sent again
    visibility_timeout: float = 3600.0  # Redis: an unacknowledged task comes back after this long
    smtp_url: str = ""  # empty: mail is written as .eml files to the outbox folder
    mail_from: str = "strategy-cycle@example.org"
    mail_retry_base: float = 30.0
    # CYCLE_MAIL_LEASE: a row 'sending' this long belongs to a worker that stopped; it is settled (sent again
    # if DATA had not begun, or with the same Message-ID if it had: docs/reliability.md). Keep it well above
    # the SMTP timeout (30 s) and any database outage you expect to ride through.
    mail_lease: float = 600.0
    max_paper_bytes: int = MAX_PAPER_BYTES  # CYCLE_MAX_PAPER_BYTES: the largest file `attach` accepts
    # CYCLE_AUDIT_KEY_FILE: the key that seals history rows, kept outside the database (docs/security.md)
    audit_key_file: Path | None = None
    # SMTP AUTH XOAUTH2 (CYCLE_SMTP_URL with auth=xoauth2): an access token by the client-credentials grant.
    smtp_oauth_token_url: str = ""
    smtp_oauth_client_id: str = ""
    smtp_oauth_client_secret_file: Path | None = None  # a file, so the secret is in no environment or URL
    smtp_oauth_scope: str = "https://outlook.office365.com/.default"  # Exchange Online's
    storage: str = "files"  # CYCLE_STORAGE: papers and documents in the data directory, or "database"
    # CYCLE_WEB_BASE_URL: where people open the web service; emails link to it. Empty: emails carry no links.
    site_url: str = ""
    # CYCLE_DATABASE_PRE_PING=1: test every pooled connection before use (SQLAlchemy's `pool_pre_ping`), for a
    # database behind PgBouncer or a failover address, where a dead server may leave the sockets open.
    # Unset, a connection is tested only when in doubt (`store.reachability.ping_when_in_doubt`).
    database_pre_ping: bool = False
    # CYCLE_LOCK_WAIT: on PostgreSQL, how long a person's command (the command line, the web service) waits for a
    # row another transaction holds (`lock_timeout`) before it is refused with "the cycle is busy"; a cycle held
    # by a stuck transaction otherwise keeps every request on it waiting, until the web's threads are all taken.
    lock_wait: float = 10.0
    # CYCLE_WORKER_LOCK_WAIT: the same for the workers and the sweep, longer: nobody is waiting at a screen, and
    # a task refused is retried from the start (a sign-off record rendered again), so a worker waits out a slow
    # command rather than retrying it; yet not forever, or a stuck holder would take the pool processes one by
    # one and stop the mail of every cycle. 60 s is the longest pause between a handler's retries.
    worker_lock_wait: float = 60.0

    @property
    def engine_options(self) -> dict[str, bool]:
        """What `store.db.make_engine` is given besides the URL."""
        return {"pool_pre_ping": True} if self.database_pre_ping else {}

    @property
    def papers_dir(self) -> Path:
        return self.data_dir / "papers"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env["CYCLE_DATA_DIR"]) if env.get("CYCLE_DATA_DIR") else default_data_dir(env)
        database_url = env.get("CYCLE_DATABASE_URL") or f"sqlite:///{data_dir / 'cycle.db'}"
        definitions_dir = Path(env.get("CYCLE_DEFINITIONS_DIR") or Path(_shipped.__file__).parent)
        frozen_now = None
        if env.get("CYCLE_NOW"):
            try:
                frozen_now = dt.datetime.fromisoformat(env["CYCLE_NOW"])
            except ValueError:
                raise ConfigurationError(
                    f"CYCLE_NOW='{env['CYCLE_NOW']}' is not a date and time; use ISO 8601, "
                    "such as 2021-08-19T10:00"
                ) from None
            if frozen_now.tzinfo is None:
                frozen_now = frozen_now.replace(tzinfo=dt.UTC)
        storage = env.get("CYCLE_STORAGE") or "files"
        if storage not in ("files", "database"):
            raise ConfigurationError(f"CYCLE_STORAGE='{storage}' should be 'files' (the data directory's folders) "
                                     "or 'database' (no shared folder between machines)")
        clock = env.get("CYCLE_CLOCK", "system") or "system"
        if clock not in ("system", "shared"):
            raise ConfigurationError(f"CYCLE_CLOCK='{clock}' should be 'system' or 'shared'")
        pre_ping = (env.get("CYCLE_DATABASE_PRE_PING") or "0").strip()
        if pre_ping not in ("0", "1"):
            raise ConfigurationError(f"CYCLE_DATABASE_PRE_PING='{pre_ping}' should be 1 (test every pooled connection "
                                     "before use) or 0")
        return cls(
            data_dir=data_dir, database_url=database_url, definitions_dir=definitions_dir, frozen_now=frozen_now,
            shared_clock=clock == "shared", broker_url=env.get("CYCLE_BROKER_URL", ""),
            queue=env.get("CYCLE_QUEUE") or "strategy-cycle",
            sweep_interval=positive_number(env, "CYCLE_SWEEP_INTERVAL", 60.0),
            relay_interval=positive_number(env, "CYCLE_RELAY_INTERVAL", 2.0),
            redeliver_after=positive_number(env, "CYCLE_REDELIVER_AFTER", 300.0),
            visibility_timeout=positive_number(env, "CYCLE_VISIBILITY_TIMEOUT", 3600.0),
            smtp_url=env.get("CYCLE_SMTP_URL", ""),
            mail_from=env.get("CYCLE_MAIL_FROM") or "strategy-cycle@example.org",
            mail_retry_base=positive_number(env, "CYCLE_MAIL_RETRY_BASE", 30.0),
            mail_lease=positive_number(env, "CYCLE_MAIL_LEASE", 600.0),
            max_paper_bytes=_bytes(env, "CYCLE_MAX_PAPER_BYTES", MAX_PAPER_BYTES), storage=storage,
            audit_key_file=Path(env["CYCLE_AUDIT_KEY_FILE"]) if env.get("CYCLE_AUDIT_KEY_FILE") else None,
            smtp_oauth_token_url=env.get("CYCLE_SMTP_OAUTH_TOKEN_URL", ""),
            smtp_oauth_client_id=env.get("CYCLE_SMTP_OAUTH_CLIENT_ID", ""),
            smtp_oauth_client_secret_file=(Path(env["CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE"])
                                           if env.get("CYCLE_SMTP_OAUTH_CLIENT_SECRET_FILE") else None),
            smtp_oauth_scope=env.get("CYCLE_SMTP_OAUTH_SCOPE") or "https://outlook.office365.com/.default",
            site_url=site_address(env), database_pre_ping=pre_ping == "1",
            lock_wait=positive_number(env, "CYCLE_LOCK_WAIT", 10.0),
            worker_lock_wait=positive_number(env, "CYCLE_WORKER_LOCK_WAIT", 60.0),
        )
