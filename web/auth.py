"""Who is asking: a Bearer token or a session cookie, and the sign-in routes that make sessions.

Browser sessions are cookies (HttpOnly, SameSite=Lax, Secure unless configured off
for plain http on one's own machine) whose SHA-256 is a row in the database, so any
process behind the proxy recognises them. A request that changes anything and is
authenticated by the cookie must carry the session's CSRF token, in the
`X-CSRF-Token` header or a `csrf_token` form field. The sign-in form itself is
protected by a double-submit cookie, as no session exists yet.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Row
from starlette.concurrency import run_in_threadpool

from workflow.commands.acting import VIA
from workflow.errors import CycleError

from .accounts import (
    Accounts,
    NotSignedIn,
    Principal,
    session_holder,
    token_holder,
)
from .config import WebSettings
from .next_path import local_path
from .pages.render import render
from .problems import Forbidden, status_of
from .sign_in_throttle import Locked
from .threads import Commands

SESSION_COOKIE = "cycle_session"
FORM_COOKIE = "cycle_form"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_MISSING = "this form or request has no valid CSRF token; reload the page and try again"


def accounts_of(request: Request) -> Accounts:
    found: Accounts = request.app.state.accounts
    return found


def commands_of(request: Request) -> Commands:
    """The worker threads of the app's `async` endpoints (`web.threads`), started by the app's lifespan."""
    found: Commands = request.app.state.commands
    return found


def web_settings(request: Request) -> WebSettings:
    found: WebSettings = request.app.state.web
    return found


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Credential:
    """What a request presented to sign in, read from its headers before anything is looked up.

    `signed_in` checks it against the database in the thread that then runs the command, so an
    endpoint that takes a `Credential` (`AsCaller`) makes one move to the thread pool, not two; a
    revoked token or ended session is refused at once, in every process, as nothing is cached.
    """

    # Secrets all three: kept out of the repr, so no log line or traceback shows them.
    token: str | None = field(repr=False)  # a Bearer token, or None for a session cookie
    cookie: str | None = field(repr=False)
    csrf_sent: str | None = field(repr=False)  # sent with a cookie session's request that changes something
    check_csrf: bool


async def credential(request: Request) -> Credential:
    """The request's token or session cookie, or 401 when it has neither (nothing is looked up yet)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotSignedIn("the Authorization header should be 'Bearer' and a personal API token")
        return Credential(secret.strip(), None, None, check_csrf=False)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotSignedIn("you are not signed in; sign in, or send a personal API token as a Bearer token")
    if request.method in SAFE_METHODS:
        return Credential(None, cookie, None, check_csrf=False)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    return Credential(None, cookie, sent, check_csrf=True)


def signed_in(accounts: Accounts, presented: Credential) -> Principal:
    """The signed-in person (a blocking lookup: call it in a worker thread); for a cookie session that
    changes something, the CSRF token is checked."""
    if presented.token is not None:
        return admitted(presented, accounts.by_token(presented.token))
    assert presented.cookie is not None
    return admitted(presented, accounts.by_session(presented.cookie))


def secret_of(presented: Credential) -> str:
    """The token or the session cookie: what the sign-in lookup (`TOKEN_LOOKUP` or `SESSION_LOOKUP`) is for."""
    found = presented.token if presented.token is not None else presented.cookie
    assert found is not None
    return found


def holder(presented: Credential, row: Row[*tuple[Any, ...]] | None) -> Principal:
    """Who the sign-in lookup's row says is signed in, checked as `signed_in` checks them."""
    if presented.token is not None:
        return admitted(presented, token_holder(row))
    assert presented.cookie is not None
    return admitted(presented, session_holder(row, presented.cookie))


def admitted(presented: Credential, found: Principal) -> Principal:
    """`found`, once a cookie session that changes something has sent its CSRF token."""
    if presented.check_csrf:
        sent = presented.csrf_sent
        if not sent or not found.csrf_token or not hmac.compare_digest(sent, found.csrf_token):
            raise Forbidden(CSRF_MISSING)
    VIA.set(found.via)  # this request's history rows name the token or session (`workflow.commands.acting`)
    return found


async def principal(request: Request) -> Principal:
    """The signed-in person, or 401; for a cookie session that changes something, the CSRF token is checked."""
    presented = await credential(request)
    accounts = accounts_of(request)
    found = await commands_of(request).run(lambda: signed_in(accounts, presented))
    VIA.set(found.via)  # here too: what the thread set stays in its own copy of the request's context
    return found


async def refusal_before_invalid(request: Request) -> CycleError | None:
    """Why a request that failed validation would be refused anyway, or None (`problems.install`).

    Only for routes that need a signed-in person: a sign-in form that is not valid is still told so."""
    route = request.scope.get("route")
    if not _needs_sign_in(getattr(route, "dependant", None)):
        return None
    try:
        await run_in_threadpool(signed_in, accounts_of(request), await credential(request))
    except CycleError as refused:
        return refused
    return None


def _needs_sign_in(dependant: Any) -> bool:
    if dependant is None:
        return False
    return any(sub.call in (credential, principal) or _needs_sign_in(sub) for sub in dependant.dependencies)


Me = Annotated[Principal, Depends(principal)]
# For an async endpoint that checks the credential and runs its command in one move to the thread pool.
AsCaller = Annotated[Credential, Depends(credential)]


def set_session_cookie(response: Response, secret: str, web: WebSettings) -> None:
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(web.session_hours * 3600), httponly=True,
                        secure=web.secure_cookies, samesite="lax", path="/")


def _form_token(request: Request) -> str:
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def _check_form_token(request: Request, sent: str) -> None:
    cookie = request.cookies.get(FORM_COOKIE)
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden(CSRF_MISSING)


def safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect (`web.next_path`)."""
    return local_path(target)


router = APIRouter(prefix="/auth", include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str = "/", error: str = "", email: str = "") -> HTMLResponse:
    web = web_settings(request)
    return _form_page(request, "sign_in.html", title="Sign in", errors={"email": error} if error else {},
                      next=safe_next(next), email=email[:320], oidc_name=web.oidc_name if web.oidc else "")


@router.post("/login")
def login(request: Request, email: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    _check_form_token(request, csrf_token)
    accounts = accounts_of(request)
    try:
        account = accounts.check_password(email, password, client_of(request))
    except (NotSignedIn, Locked) as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        # A browser gets the form again, with the sentence above it.
        query = urlencode({"next": safe_next(next), "error": str(exc), "email": email[:320]})
        return RedirectResponse(f"/auth/login?{query}", status_code=303)
    secret, _csrf = accounts.open_session(account, "password")
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, secret, web_settings(request))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = accounts_of(request).by_session(cookie)
        if not found.csrf_token or not hmac.compare_digest(csrf_token, found.csrf_token):
            raise Forbidden(CSRF_MISSING)
        accounts_of(request).close_session(cookie)
    response = RedirectResponse("/auth/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _form_page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page with a form used before any session exists, protected by the double-submit cookie."""
    web = web_settings(request)
    token = _form_token(request)
    response = render(request, template, status=status, viewer=None, form_token=token, **context)
    response.set_cookie(FORM_COOKIE, token, httponly=True, secure=web.secure_cookies, samesite="strict", path="/")
    return response


@router.get("/set-password")
def set_password_form(request: Request, token: str = "") -> HTMLResponse:
    return _form_page(request, "set_password.html", title="Choose your password", token=token[:200])


@router.post("/set-password")
def set_password(request: Request, token: Annotated[str, Form()], password: Annotated[str, Form()],
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    _check_form_token(request, csrf_token)
    try:
        accounts_of(request).set_password(token, password)
    except CycleError as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        return _form_page(request, "set_password.html", status=status_of(exc), title="Choose your password",
                          token=token[:200], errors={"password": str(exc)})
    return RedirectResponse("/auth/login", status_code=303)
