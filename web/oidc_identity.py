"""Who an OpenID Connect ID token names, and which account that is.

The token is Authlib's, already checked for signature, audience, expiry, nonce and
the issuer of the provider's metadata. What is checked here is what makes it
ours to trust:

- the issuer is the one configured (CYCLE_OIDC_ISSUER), and for Microsoft Entra ID
  the tenant is the council's (`tid`), so no other organisation's accounts pass;
- the person is known by the provider's stable subject: tenant and object id
  (`tid`, `oid`) for Entra ID, whose `sub` differs per application, and issuer and
  `sub` otherwise;
- the email finds the account only at the first sign-in, and only when the
  provider vouches for it: `email_verified: true` (Google, Keycloak and most
  providers), or, when that claim is absent and the tenant is pinned, Entra's
  `xms_edov: true` (the email's domain is verified by the tenant). Entra never
  sends `email_verified` for work accounts, and an explicit `email_verified: false`
  is refused whatever else the token says;
- that first sign-in links the account to the subject, and every later one is
  matched on the subject alone: a changed email claim still signs its person in,
  and another subject that claims a linked account's email is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from workflow.engine import Engine
from workflow.errors import NotFound
from workflow.store.models import Account

from .accounts import NotSignedIn, normal_email
from .config import WebSettings

_TRUE = (True, "true", "True", 1, "1")  # providers differ in how they write a boolean claim


@dataclass(frozen=True)
class Identity:
    subject: str  # what the account is linked to
    email: str | None  # the email claim, normalised; trusted to find an account only when `verified`
    verified: bool


def identity(claims: Mapping[str, Any], web: WebSettings) -> Identity:
    """The person the ID token's claims name, or NotSignedIn with the reason."""
    name = web.oidc_name
    issuer = str(claims.get("iss", "")).rstrip("/")
    if issuer != web.oidc_issuer:
        raise NotSignedIn(f"the sign-in came from {issuer or 'an unnamed issuer'}, not from {name} "
                          f"({web.oidc_issuer}); it is not accepted here")
    if web.oidc_tenant:
        tenant, object_id = str(claims.get("tid", "")).lower(), str(claims.get("oid", ""))
        if tenant != web.oidc_tenant:
            raise NotSignedIn(f"that account belongs to another organisation (tenant {tenant or 'not given'}); "
                              f"sign in with {name}")
        if not object_id:
            raise NotSignedIn(f"{name} did not give the account's object id (oid), which names you here")
        subject = f"tid:{tenant} oid:{object_id}"
    else:
        sub = str(claims.get("sub", ""))
        if not sub:
            raise NotSignedIn(f"{name} did not say who you are (no subject in the token)")
        subject = f"iss:{issuer} sub:{sub}"
    if "email_verified" in claims:
        if claims["email_verified"] not in _TRUE:
            raise NotSignedIn(f"{name} says your email address is not verified; verify it there, then sign in again")
        verified = True
    else:
        # xms_edov says the email's domain is verified by the tenant that owns it, not that the person read
        # mail there: worth something only when that tenant is the council's, pinned above.
        verified = bool(web.oidc_tenant) and claims.get("xms_edov") in _TRUE
    email = claims.get("email")
    return Identity(subject, normal_email(str(email)) if email else None, verified)


def account_for(engine: Engine, person: Identity, web: WebSettings) -> Account:
    """The active account linked to the person's subject; at a first sign-in, the one their verified email
    names, which is linked to them from then on."""
    with engine.unit_of_work() as session:
        account = session.scalars(select(Account).where(Account.oidc_subject == person.subject)).first()
        if account is None:
            if not person.email or not person.verified:
                raise NotSignedIn(f"{web.oidc_name} did not give a verified email address, which names you here "
                                  "the first time you sign in")
            account = session.scalars(select(Account).where(Account.email == person.email)).first()
            if account is None or account.disabled:
                raise NotSignedIn(f"{person.email} has no account here; ask an administrator to add you")
            # Linked only if nobody was linked meanwhile: two first sign-ins at once link one subject.
            linked = session.execute(update(Account).where(Account.id == account.id, Account.oidc_subject.is_(None))
                                     .values(oidc_subject=person.subject))
            session.refresh(account)
            if getattr(linked, "rowcount", 0) != 1 and account.oidc_subject != person.subject:
                raise NotSignedIn(f"{person.email}'s account here belongs to another {web.oidc_name}; ask an "
                                  "administrator ('cycle users unlink') if it is now yours")
        if account.disabled:
            raise NotSignedIn(f"{account.email}'s account is disabled; ask an administrator")
        session.flush()
        session.expunge(account)
        return account


def unlink(engine: Engine, email: str) -> bool:
    """Forget the subject an account is linked to (the person's account at the provider was replaced); the
    next sign-in with a verified email links it again. False if it was not linked."""
    with engine.unit_of_work() as session:
        account = session.scalars(select(Account).where(Account.email == normal_email(email))).first()
        if account is None:
            raise NotFound(f"{normal_email(email)} has no account")
        linked = account.oidc_subject is not None
        account.oidc_subject = None
        return linked
