"""Who may sign in to the web service: accounts, sessions, API tokens, calendar feeds, sign-in records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.store.models.cycles import Base


class Account(Base):
    """A person's sign-in, keyed by the email the definitions' directories give them.

    `password_hash` is an Argon2 hash (None until an invitation is taken up, or for
    accounts that sign in through OpenID Connect only). `admin` lets the person manage
    definitions and accounts.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(300), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    # The council's identity provider's name for this person, remembered at their first OpenID
    # Connect sign-in ("tid:<tenant> oid:<object id>" for Entra ID, "iss:<issuer> sub:<subject>"
    # otherwise): later sign-ins are matched on it, never on an email a directory can reassign.
    oidc_subject: Mapped[str | None] = mapped_column(String(400), unique=True)


class WebSession(Base):
    """A signed-in browser: the cookie holds a secret, this row its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    method: Mapped[str] = mapped_column(String(20))  # password | oidc


class ApiToken(Base):
    """A personal API token for scripts: shown once, stored as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class CalendarFeed(Base):
    """A board member's calendar subscription address: the secret is in the URL, this row holds its SHA-256."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class AccountLink(Base):
    """A one-time link (an invitation or a password reset) sent by email, stored as its SHA-256."""

    __tablename__ = "account_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite | reset
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class SignInAttempt(Base):
    """Every password sign-in attempt, for the rate limit per client address."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_client_at", "client", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(300))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime]


class IdempotentResponse(Base):
    """The first response to a POST with an Idempotency-Key, replayed to a retry of it.

    `scope` is the SHA-256 of the caller's credential, so one caller cannot read another's.
    A row with no status is a request still running.
    """

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]
