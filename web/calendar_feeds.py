"""A board member's calendar feed address: a secret in the URL, one live per account, stored as its SHA-256.

A calendar application cannot sign in, so the address itself is the credential. It opens
only that person's meeting times and venues (never a paper), shows nowhere but to its owner
right after it is made, and is replaced ("create a new address") or stopped at will.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.engine import Engine
from workflow.store.models import Account, CalendarFeed
from workflow.store.outbox import wall_clock

from .accounts import digest, normal_email


class CalendarFeeds:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, email: str) -> str:
        """A new secret for `email`'s feed; any older address stops working at once."""
        secret = "cal_" + secrets.token_urlsafe(32)
        with self.engine.unit_of_work() as session:
            account = session.scalars(select(Account).where(Account.email == normal_email(email))).one()
            self._revoke(session, account.id)
            session.add(CalendarFeed(account_id=account.id, token_hash=digest(secret), created_at=wall_clock()))
        return secret

    def stop(self, email: str) -> None:
        with self.engine.unit_of_work() as session:
            account = session.scalars(select(Account).where(Account.email == normal_email(email))).one()
            self._revoke(session, account.id)

    def active(self, email: str) -> bool:
        with self.engine.sessions() as session:
            return session.scalars(select(CalendarFeed.id).join(Account, Account.id == CalendarFeed.account_id)
                                   .where(Account.email == normal_email(email),
                                          CalendarFeed.revoked_at.is_(None))).first() is not None

    def owner(self, secret: str) -> str | None:
        """The email whose live feed `secret` opens, or None (unknown, revoked, or the account disabled)."""
        with self.engine.sessions() as session:
            return session.scalars(select(Account.email).join(CalendarFeed, CalendarFeed.account_id == Account.id)
                                   .where(CalendarFeed.token_hash == digest(secret),
                                          CalendarFeed.revoked_at.is_(None),
                                          Account.disabled.is_(False))).first()

    @staticmethod
    def _revoke(session: Session, account_id: int) -> None:
        session.execute(update(CalendarFeed).where(CalendarFeed.account_id == account_id,
                                                   CalendarFeed.revoked_at.is_(None)).values(revoked_at=wall_clock()))
