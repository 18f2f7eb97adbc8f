"""Accounts: who may sign in, with what, and the state sign-in keeps (all of it in the database).

A person is their email, as the definitions' directories give it. Passwords are
Argon2 hashes (argon2-cffi); session cookies, API tokens and one-time links are
random secrets of which only the SHA-256 is stored. Real time, not a cycle's
simulated clock, governs sessions, links and lockouts.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.orm import Session

from notifications import smtp_oauth
from notifications.delivery import Delivery, DeliveryPolicy
from notifications.mail import mailer_for
from notifications.reminders import message_id
from workflow.definition.reader import email_problem
from workflow.engine import Engine
from workflow.errors import (
    CycleError,
    DefinitionError,
    InvalidInput,
    NotFound,
    Refused,
    RoleMissing,
)
from workflow.settings import Settings
from workflow.store.catalog import Catalog
from workflow.store.models import Account, AccountLink, ApiToken, Mail, SignInAttempt, WebSession
from workflow.store.outbox import wall_clock

from .config import WebSettings
from .sign_in_throttle import client_key, throttle

HASHER = PasswordHasher()
# WebSettings.password_cost: the standard cost, or the cheapest one a test suite sets.
HASHERS = {"standard": HASHER, "test": PasswordHasher.from_parameters(profiles.CHEAPEST)}


@functools.cache
def _dummy_hash(cost: str) -> str:
    """Verified against when the email has no account, so a wrong email costs as long as a wrong password."""
    return HASHERS[cost].hash(secrets.token_urlsafe(16))

MIN_PASSWORD = 12
WRONG = "the email or password is not right"
MASK = "[sent-once-not-kept]"  # what the mail table says in place of a one-time token


class NotSignedIn(CycleError):
    """No session, token or sign-in that this service recognises."""

    exit_code = 3


class NotSent(Refused):
    """A one-time link could not be emailed; it was kept nowhere, so a new one must be sent."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


def address_problem(email: str) -> str | None:
    """Why `email` is not one email address, checked as the definitions' addresses are, in one sentence; or None."""
    reason = email_problem(email)
    if reason is None:
        return None
    reason = reason.replace(". ", "; ")
    return f"'{email}' is not an email address: {reason[:1].lower()}{reason[1:]}"


@dataclass(frozen=True)
class Principal:
    """The signed-in person, for one request."""

    account_id: int
    email: str
    admin: bool
    csrf_token: str | None = None  # set for a browser session; None for an API token
    via: str | None = None  # the session or token, by an id that is not its secret ("session 1a2b...", "token 7")


def link_delivery(engine: Engine, settings: Settings) -> Delivery:
    """How the process that makes a one-time link sends it: the workers' own transport and sender."""
    mailer = mailer_for(settings.smtp_url, settings.outbox_dir, authenticator=smtp_oauth.authenticator(settings))
    return Delivery(engine, mailer, DeliveryPolicy(sender=settings.mail_from))


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


# Who is asking, looked up on every request: built once, so SQLAlchemy keys its compiled form without
# walking a new statement each time. The parameter is the secret's SHA-256 (`digest`).
SESSION_LOOKUP = (select(Account.id, Account.email, Account.admin, Account.disabled, WebSession.csrf_token,
                         WebSession.expires_at).join(WebSession, WebSession.account_id == Account.id)
                  .where(WebSession.token_hash == bindparam("hash")))
TOKEN_LOOKUP = (select(Account.id, Account.email, Account.admin, Account.disabled, ApiToken.id.label("token_id"))
                .join(ApiToken, ApiToken.account_id == Account.id)
                .where(ApiToken.token_hash == bindparam("hash"), ApiToken.revoked_at.is_(None)))


def session_holder(row: Row[*tuple[Any, ...]] | None, secret: str) -> Principal:
    """Who a session cookie signs in, from its `SESSION_LOOKUP` row: NotSignedIn once ended or disabled."""
    if row is None or row.disabled or row.expires_at < wall_clock():
        raise NotSignedIn("your session has ended or is not recognised; sign in again")
    # The first 16 hex digits of the stored SHA-256 name the session's row; they open nothing.
    return Principal(row.id, row.email, row.admin, row.csrf_token, via=f"session {digest(secret)[:16]}")


def token_holder(row: Row[*tuple[Any, ...]] | None) -> Principal:
    """Who an API token signs in, from its `TOKEN_LOOKUP` row: NotSignedIn once revoked or disabled."""
    if row is None or row.disabled:
        raise NotSignedIn("the API token is not recognised or has been revoked")
    return Principal(row.id, row.email, row.admin, via=f"token {row.token_id}")


class Accounts:
    def __init__(self, engine: Engine, web: WebSettings, delivery: Delivery | None = None) -> None:
        self.engine = engine
        self.web = web
        self.delivery = delivery  # sends one-time links at once; None: this process sends none
        self.hasher = HASHERS[web.password_cost]
        _dummy_hash(web.password_cost)  # made now, so the first unknown email costs what every other does
        bind = engine.sessions.kw["bind"]
        # Who is asking is one SELECT on every request: on PostgreSQL, run it outside a transaction,
        # which saves the BEGIN and ROLLBACK round trips around it. (SQLite's connections are set up
        # to let SQLAlchemy begin transactions, which switching their isolation level would undo.)
        self._lookups = bind.execution_options(isolation_level="AUTOCOMMIT") if engine.on_postgresql else bind

    # -- the operator's commands -------------------------------------------------------

    def add_problems(self, email: str, *, password: str | None, admin: bool) -> dict[str, str]:
        """Every reason an account cannot be made, by field ('email', 'password'): empty when it can be."""
        email = normal_email(email)
        found: dict[str, str] = {}
        problem = address_problem(email)
        if problem is None and not admin and email not in directory_emails(self.engine.catalog):
            problem = (f"no definition's directory lists {email}; add the person to a definition first, "
                       "or make the account an administrator's")
        if problem is None:
            with self.engine.sessions() as session:
                if session.scalars(select(Account.id).where(Account.email == email)).first() is not None:
                    problem = f"there is already an account for {email}; send a reset link to set a new password"
        if problem:
            found["email"] = problem
        if password is not None and len(password) < MIN_PASSWORD:
            found["password"] = f"a password needs at least {MIN_PASSWORD} characters"
        return found

    def add(self, email: str, *, password: str | None, admin: bool, by: str) -> Account:
        """The one place an account is made (the CLI, the API and the page all come here)."""
        email = normal_email(email)
        problems = self.add_problems(email, password=password, admin=admin)
        if problems:
            raise InvalidInput(next(iter(problems.values())))
        with self.engine.unit_of_work() as session:
            if session.scalars(select(Account).where(Account.email == email)).first() is not None:
                raise InvalidInput(f"there is already an account for {email}; send a reset link to set a new password")
            account = Account(email=email, password_hash=self.hasher.hash(password) if password else None, admin=admin,
                              disabled=False, failed_sign_ins=0, created_at=wall_clock(), created_by=by)
            session.add(account)
            session.flush()
            session.expunge(account)
            return account

    def send_link(self, email: str, purpose: str) -> str:
        """Email a one-time link (invite or reset) now; returns the link, for a test or a demo to follow.

        Only the token's SHA-256 is kept (the `account_links` row). The mail row keeps the email with
        the token masked, and the message with the token in it is sent at once by this process
        (`Delivery.send_once`), never queued for the workers: they would have to read it from
        somewhere. If it cannot be sent, NotSent says why, and a new link is the remedy.
        """
        email = normal_email(email)
        if self.delivery is None:
            raise NotSent(f"the {purpose} link for {email} cannot be emailed from here: this process has no mailer")
        now = wall_clock()
        secret = secrets.token_urlsafe(32)
        masked = f"{self.web.base_url}/auth/set-password?token={MASK}"
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
            text = (f"{opening}\n\nChoose your password here (the link works once, for {hours} hours):\n{masked}\n\n"
                    "If you did not expect this email, you can ignore it.\n")
            html = (f"<p>{opening}</p><p>Choose your password here (the link works once, for {hours} hours):</p>"
                    f'<p><a href="{masked}">{masked}</a></p><p>If you did not expect this email, you can ignore it.</p>')
            key = f"account:{purpose}:{digest(secret)}"
            # Written claimed ('sending'), so no worker takes it: this process sends it below.
            row = Mail(key=key, cycle_id=None, kind="account", person=email, recipient=email, subject=subject,
                       text_body=text, html_body=html, attachments={}, message_id=message_id(key), dated=now,
                       status="sending", claimed_at=now, attempts=1, next_attempt_at=now, created_at=now)
            session.add(row)
            session.flush()
            mail_id = row.id
        error = self.delivery.send_once(mail_id, reveal={MASK: secret})
        if error is not None:
            raise NotSent(f"the {purpose} link for {email} could not be emailed ({error}); it is kept nowhere, "
                          f"so send a new one once mail works ('cycle users reset {email}')")
        return masked.replace(MASK, secret)

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
            account.password_hash = self.hasher.hash(password)
            account.failed_sign_ins, account.locked_until = 0, None
            session.execute(delete(WebSession).where(WebSession.account_id == account.id))
            return account.email

    # -- signing in ----------------------------------------------------------------------

    def check_password(self, email: str, password: str, client: str) -> Account:
        """The account, if the password is right and this client is not being slowed down.

        Throttling is per (email, client address), and reads only the attempts table, which records
        an unknown email exactly as a real one: the answers (401, then 429 with a wait) are the same
        whether or not the account exists, and someone guessing from one address never stops the
        person signing in from another. After `lock_after` wrong passwords for the pair, each
        further try waits twice as long as the last (from `BACKOFF_BASE` seconds, at most
        `lock_minutes`); a right password ends the wait's count. A client address also has a cap
        over all emails (`client_attempts` in `client_window` minutes). Guesses at one email from
        many addresses add up too: after `email_lock_after` of them, from addresses that never
        signed in to it, every such address waits the same way (`_email_backoff`). An IPv6 client
        counts by its /64 (`client_key`).
        """
        email = normal_email(email)
        client = client_key(client)
        now = wall_clock()
        with self.engine.unit_of_work() as session:
            throttle(session, self.web, email[:300], client[:100], now)
            account = session.scalars(select(Account).where(Account.email == email)).first()
            ok = self._verify(account.password_hash if account else None, password)
            session.add(SignInAttempt(client=client[:100], email=email[:300], succeeded=ok, at=now))
            # The attempt is written whatever the outcome: refuse after commit.
            refusal: CycleError | None = None
            if account is None or account.disabled or not ok:
                refusal = NotSignedIn(WRONG)
            else:
                if self.hasher.check_needs_rehash(account.password_hash or ""):
                    # Hashed with other parameters (older, or another cost): hashed again with today's.
                    account.password_hash = self.hasher.hash(password)
                session.flush()
                session.expunge(account)
        if refusal is not None:
            raise refusal
        assert account is not None
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
            return session_holder(connection.execute(SESSION_LOOKUP, {"hash": digest(secret)}).first(), secret)

    def by_token(self, secret: str) -> Principal:
        with self._lookups.connect() as connection:
            return token_holder(connection.execute(TOKEN_LOOKUP, {"hash": digest(secret)}).first())

    # -- API tokens ----------------------------------------------------------------------

    @staticmethod
    def whose_tokens(me: Principal, email: str | None) -> str:
        """Whose tokens `me` may see, make and revoke: their own, or anyone's for an admin (as `cycle tokens`)."""
        wanted = normal_email(email) if email else me.email
        if wanted != me.email and not me.admin:
            raise RoleMissing(f"{me.email} is not an admin; only an admin manages another person's API tokens")
        return wanted

    def create_token(self, email: str, name: str) -> str:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidInput("a token needs a name of 1 to 100 characters saying what it is for")
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
    def _account(session: Session, email: str) -> Account:
        account = session.scalars(select(Account).where(Account.email == email)).first()
        if account is None:
            raise NotFound(f"{email} has no account; add it with 'cycle users add' or 'cycle users invite'")
        return account

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or _dummy_hash(self.web.password_cost), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _check_strength(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
