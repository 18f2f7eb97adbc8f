"""Accounts: who may sign in, with what, and the state sign-in keeps (all of it in the database).

A person is their email, as the definitions' directories give it. Passwords are
Argon2 hashes (argon2-cffi); session cookies, API tokens and one-time links are
random secrets of which only the SHA-256 is stored. Real time, not a cycle's
simulated clock, governs sessions, links and lockouts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update

from notifications.reminders import message_id
from workflow.engine import Engine
from workflow.errors import CycleError, DefinitionError, InvalidInput, NotFound, Refused
from workflow.store.catalog import Catalog
from workflow.store.models import Account, AccountLink, ApiToken, Mail, SignInAttempt, WebSession
from workflow.store.outbox import wall_clock

from .config import WebSettings

HASHER = PasswordHasher()
# Verified against when the email has no account, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 12
WRONG = "the email or password is not right"


class NotSignedIn(CycleError):
    """No session, token or sign-in that this service recognises."""

    exit_code = 3


class Locked(Refused):
    """The account is locked after repeated wrong passwords, or the client is making too many attempts."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Principal:
    """The signed-in person, for one request."""

    account_id: int
    email: str
    admin: bool
    csrf_token: str | None = None  # set for a browser session; None for an API token


def directory_emails(catalog: Catalog) -> set[str]:
    """Every email the definitions on disk list: the directory accounts are made for."""
    emails: set[str] = set()
    for path in catalog.files():
        try:
            definition = catalog.load(str(path))
        except DefinitionError:
            continue
        emails.update(normal_email(p.email) for p in definition.people.values())
    return emails


class Accounts:
    def __init__(self, engine: Engine, web: WebSettings) -> None:
        self.engine = engine
        self.web = web
        bind = engine.sessions.kw["bind"]
        # Who is asking is one SELECT on every request: on PostgreSQL, run it outside a transaction,
        # which saves the BEGIN and ROLLBACK round trips around it. (SQLite's connections are set up
        # to let SQLAlchemy begin transactions, which switching their isolation level would undo.)
        postgresql = bind.dialect.name == "postgresql"
        self._lookups = bind.execution_options(isolation_level="AUTOCOMMIT") if postgresql else bind

    # -- the operator's commands -------------------------------------------------------

    def add(self, email: str, *, password: str | None, admin: bool, by: str) -> Account:
        email = normal_email(email)
        if "@" not in email:
            raise InvalidInput(f"'{email}' is not an email address")
        if not admin and email not in directory_emails(self.engine.catalog):
            raise InvalidInput(f"{email} is not in the directory of any definition; add the person to a "
                               "definition first, or give --admin for an administrator")
        if password is not None:
            self._check_strength(password)
        with self.engine.unit_of_work() as session:
            if session.scalars(select(Account).where(Account.email == email)).first() is not None:
                raise InvalidInput(f"{email} already has an account; use 'cycle users reset' to set a new password")
            account = Account(email=email, password_hash=HASHER.hash(password) if password else None, admin=admin,
                              disabled=False, failed_sign_ins=0, created_at=wall_clock(), created_by=by)
            session.add(account)
            session.flush()
            session.expunge(account)
            return account

    def send_link(self, email: str, purpose: str) -> str:
        """Queue an email with a one-time link (invite or reset); returns the link, for the operator's log."""
        email = normal_email(email)
        now = wall_clock()
        secret = secrets.token_urlsafe(32)
        link = f"{self.web.base_url}/auth/set-password?token={secret}"
        with self.engine.unit_of_work() as session:
            account = self._account(session, email)
            if account.disabled:
                raise InvalidInput(f"{email}'s account is disabled; it cannot be invited or reset")
            session.add(AccountLink(token_hash=digest(secret), account_id=account.id, purpose=purpose,
                                    created_at=now, expires_at=now + dt.timedelta(hours=self.web.link_hours)))
            if purpose == "reset":
                account.failed_sign_ins, account.locked_until = 0, None
            hours = int(self.web.link_hours)
            if purpose == "invite":
                subject = "You are invited to the strategy cycle service"
                opening = "You have been given an account on the strategy cycle service."
            else:
                subject = "Set a new password for the strategy cycle service"
                opening = "A new password was asked for your account on the strategy cycle service."
            text = (f"{opening}\n\nChoose your password here (the link works once, for {hours} hours):\n{link}\n\n"
                    "If you did not expect this email, you can ignore it.\n")
            html = (f"<p>{opening}</p><p>Choose your password here (the link works once, for {hours} hours):</p>"
                    f'<p><a href="{link}">{link}</a></p><p>If you did not expect this email, you can ignore it.</p>')
            key = f"account:{purpose}:{digest(secret)}"
            session.add(Mail(key=key, cycle_id=None, kind="account", person=email, recipient=email, subject=subject,
                             text_body=text, html_body=html, attachments={}, message_id=message_id(key),
                             dated=now, status="pending", attempts=0, next_attempt_at=now, created_at=now))
        return link

    def disable(self, email: str) -> None:
        with self.engine.unit_of_work() as session:
            account = self._account(session, normal_email(email))
            account.disabled = True
            session.execute(delete(WebSession).where(WebSession.account_id == account.id))
            session.execute(update(ApiToken).where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
                            .values(revoked_at=wall_clock()))

    def all(self) -> list[Account]:
        with self.engine.sessions() as session:
            rows = list(session.scalars(select(Account).order_by(Account.email)))
            session.expunge_all()
            return rows

    # -- one-time links ----------------------------------------------------------------

    def set_password(self, secret: str, password: str) -> str:
        """Take up an invitation or reset link: the link is spent, the password set; returns the email."""
        self._check_strength(password)
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            link = session.get(AccountLink, digest(secret))
            if link is None or link.used_at is not None or link.expires_at < now:
                raise InvalidInput("this link has expired or has been used; ask an administrator for a new one")
            account = session.get(Account, link.account_id)
            assert account is not None
            if account.disabled:
                raise InvalidInput("this account is disabled; ask an administrator")
            link.used_at = now
            account.password_hash = HASHER.hash(password)
            account.failed_sign_ins, account.locked_until = 0, None
            session.execute(delete(WebSession).where(WebSession.account_id == account.id))
            return account.email

    # -- signing in ----------------------------------------------------------------------

    def check_password(self, email: str, password: str, client: str) -> Account:
        """The account, if the password is right and neither it nor the client is locked out."""
        email = normal_email(email)
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            since = now - dt.timedelta(minutes=self.web.client_window)
            # Attempts older than the window count for nothing any more.
            session.execute(delete(SignInAttempt).where(SignInAttempt.at < since))
            recent = session.scalar(select(func.count()).select_from(SignInAttempt).where(
                SignInAttempt.client == client, SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)))
            if (recent or 0) >= self.web.client_attempts:
                raise Locked(f"too many sign-in attempts from this address; wait {self.web.client_window:.0f} "
                             "minutes and try again")
            account = session.scalars(select(Account).where(Account.email == email)).first()
            ok = self._verify(account.password_hash if account else None, password)
            session.add(SignInAttempt(client=client[:100], email=email[:300], succeeded=ok, at=now))
            # The attempt and the failure count are written whatever the outcome: refuse after commit.
            refusal: CycleError | None = None
            if account is None or account.disabled:
                refusal = NotSignedIn(WRONG)
            elif account.locked_until is not None and account.locked_until > now:
                refusal = Locked(f"this account is locked after {self.web.lock_after} wrong passwords; try again "
                                 f"after {account.locked_until:%H:%M} UTC or ask an administrator to reset it")
            elif not ok:
                account.failed_sign_ins += 1
                if account.failed_sign_ins >= self.web.lock_after:
                    account.locked_until = now + dt.timedelta(minutes=self.web.lock_minutes)
                    account.failed_sign_ins = 0
                refusal = NotSignedIn(WRONG)
            else:
                account.failed_sign_ins, account.locked_until = 0, None
                session.flush()
                session.expunge(account)
        if refusal is not None:
            raise refusal
        assert account is not None
        return account

    def account_for_email(self, email: str) -> Account:
        """An active account for a verified email (OpenID Connect); NotSignedIn when there is none."""
        with self.engine.sessions() as session:
            account = session.scalars(select(Account).where(Account.email == normal_email(email))).first()
            if account is None or account.disabled:
                raise NotSignedIn(f"{email} has no account here; ask an administrator to add you")
            session.expunge(account)
            return account

    def open_session(self, account: Account, method: str) -> tuple[str, str]:
        """A new session for the account: (cookie secret, CSRF token)."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            # Ended sessions are of no further use: sweep them as new ones begin.
            session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(WebSession(token_hash=digest(secret), account_id=account.id, csrf_token=csrf, created_at=now,
                                   expires_at=now + dt.timedelta(hours=self.web.session_hours), method=method))
        return secret, csrf

    def close_session(self, secret: str) -> None:
        with self.engine.unit_of_work() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == digest(secret)))

    def by_session(self, secret: str) -> Principal:
        with self._lookups.connect() as connection:
            row = connection.execute(
                select(Account.id, Account.email, Account.admin, Account.disabled, WebSession.csrf_token,
                       WebSession.expires_at).join(WebSession, WebSession.account_id == Account.id)
                .where(WebSession.token_hash == digest(secret))).first()
        if row is None or row.disabled or row.expires_at < wall_clock():
            raise NotSignedIn("your session has ended or is not recognised; sign in again")
        return Principal(row.id, row.email, row.admin, row.csrf_token)

    def by_token(self, secret: str) -> Principal:
        with self._lookups.connect() as connection:
            row = connection.execute(
                select(Account.id, Account.email, Account.admin, Account.disabled)
                .join(ApiToken, ApiToken.account_id == Account.id)
                .where(ApiToken.token_hash == digest(secret), ApiToken.revoked_at.is_(None))).first()
        if row is None or row.disabled:
            raise NotSignedIn("the API token is not recognised or has been revoked")
        return Principal(row.id, row.email, row.admin)

    # -- API tokens ----------------------------------------------------------------------

    def create_token(self, email: str, name: str) -> str:
        secret = "cyc_" + secrets.token_urlsafe(32)
        with self.engine.unit_of_work() as session:
            account = self._account(session, normal_email(email))
            if account.disabled:
                raise InvalidInput(f"{account.email}'s account is disabled")
            session.add(ApiToken(account_id=account.id, name=name, token_hash=digest(secret), created_at=wall_clock()))
        return secret

    def tokens(self, email: str) -> list[ApiToken]:
        with self.engine.sessions() as session:
            account = self._account(session, normal_email(email))
            rows = list(session.scalars(select(ApiToken).where(ApiToken.account_id == account.id)
                                        .order_by(ApiToken.id)))
            session.expunge_all()
            return rows

    def revoke_token(self, email: str, token_id: int) -> None:
        with self.engine.unit_of_work() as session:
            account = self._account(session, normal_email(email))
            row = session.get(ApiToken, token_id)
            if row is None or row.account_id != account.id:
                raise NotFound(f"{account.email} has no token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = wall_clock()

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _account(session: object, email: str) -> Account:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        account = session.scalars(select(Account).where(Account.email == email)).first()
        if account is None:
            raise NotFound(f"{email} has no account; add it with 'cycle users add' or 'cycle users invite'")
        return account

    @staticmethod
    def _verify(stored: str | None, password: str) -> bool:
        try:
            return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _check_strength(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
