"""Slowing down password guesses without saying whether an account exists.

Read from the attempts table alone, which records an unknown email exactly as a real one, so the
answers are the same either way; see `Accounts.check_password` for the rules and docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from workflow.errors import Refused
from workflow.store.models import SignInAttempt

from .config import WebSettings

BACKOFF_BASE = 30.0  # seconds an (email, client) pair waits after `lock_after` wrong passwords; doubles each time


class Locked(Refused):
    """Too many wrong passwords for an email from one client address, or too many attempts from it."""


KNOWN_DAYS = 90  # how long a successful sign-in marks its address as the account owner's


def client_key(client: str) -> str:
    """The address throttling counts by: an IPv6 client by its /64 (one subscriber's share), others as given."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return client


def throttle(session: Session, web: WebSettings, email: str, client: str, now: dt.datetime) -> None:
    """Refuse (Locked) a sign-in attempt this email or client must still wait for; prune what no longer counts."""
    window = max(web.client_window, web.lock_minutes)
    # Failed attempts older than both windows count for nothing any more; a success is kept longer,
    # as the address an account's owner signs in from (spared the per-email wait below).
    session.execute(delete(SignInAttempt).where(
        SignInAttempt.at < now - dt.timedelta(minutes=window),
        SignInAttempt.succeeded.is_(False) | (SignInAttempt.at < now - dt.timedelta(days=KNOWN_DAYS))))
    since = now - dt.timedelta(minutes=web.client_window)
    recent = session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.client == client, SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)))
    if (recent or 0) >= web.client_attempts:
        raise Locked(f"too many sign-in attempts from this address; wait {web.client_window:.0f} "
                     "minutes and try again")
    wait = _backoff(session, web, email, client, now)
    if wait > 0:
        raise Locked(f"too many wrong passwords for this email from this address; wait {wait} seconds "
                     "and try again, or ask an administrator for a reset link")
    wait = _email_backoff(session, web, email, client, now)
    if wait > 0:
        raise Locked(f"too many wrong passwords for this email; wait {wait} seconds and try again, or "
                     "ask an administrator for a reset link")


def _backoff(session: Session, web: WebSettings, email: str, client: str, now: dt.datetime) -> int:
    """Seconds this (email, client) pair must still wait before its next try; 0: it may try now."""
    return _wait(session, web, (SignInAttempt.email == email, SignInAttempt.client == client),
                 (SignInAttempt.email == email, SignInAttempt.client == client), web.lock_after, now)


def _email_backoff(session: Session, web: WebSettings, email: str, client: str, now: dt.datetime) -> int:
    """Seconds anyone not known for this email must wait: guesses spread over many addresses add up.

    Counted from the attempts table alone, so an unknown email is slowed exactly as a real one; an
    address that signed in to the account before (its owner's) neither counts nor waits.
    """
    known = select(SignInAttempt.client).where(SignInAttempt.email == email, SignInAttempt.succeeded)
    if session.scalars(known.where(SignInAttempt.client == client)).first() is not None:
        return 0
    return _wait(session, web, (SignInAttempt.email == email, SignInAttempt.client.not_in(known)),
                 (SignInAttempt.email == email,), web.email_lock_after, now)


def _wait(session: Session, web: WebSettings, counted: tuple[Any, ...], succeeded: tuple[Any, ...], after: int,
          now: dt.datetime) -> int:
    """Seconds to wait after the `counted` failures (since the last success among `succeeded`) pass `after`."""
    since = now - dt.timedelta(minutes=web.lock_minutes)
    last_success = session.scalar(select(func.max(SignInAttempt.at)).where(*succeeded, SignInAttempt.at >= since,
                                                                          SignInAttempt.succeeded))
    failures = select(SignInAttempt.at).where(*counted, SignInAttempt.at >= since,
                                              SignInAttempt.succeeded.is_(False))
    if last_success is not None:
        failures = failures.where(SignInAttempt.at > last_success)
    times = sorted(session.scalars(failures))
    beyond = len(times) - after
    if beyond < 0:
        return 0
    delay = min(BACKOFF_BASE * 2 ** min(beyond, 20), web.lock_minutes * 60)
    return max(0, math.ceil((times[-1] + dt.timedelta(seconds=delay) - now).total_seconds()))
