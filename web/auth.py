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
from html import escape
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .accounts import Accounts, Locked, NotSignedIn, Principal
from .config import WebSettings
from .problems import Forbidden

SESSION_COOKIE = "cycle_session"
FORM_COOKIE = "cycle_form"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_MISSING = "this form or request has no valid CSRF token; reload the page and try again"


def accounts_of(request: Request) -> Accounts:
    found: Accounts = request.app.state.accounts
    return found


def web_settings(request: Request) -> WebSettings:
    found: WebSettings = request.app.state.web
    return found


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def principal(request: Request) -> Principal:
    """The signed-in person, or 401; for a cookie session that changes something, the CSRF token is checked."""
    accounts = accounts_of(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotSignedIn("the Authorization header should be 'Bearer' and a personal API token")
        return await run_in_threadpool(accounts.by_token, secret.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotSignedIn("you are not signed in; sign in, or send a personal API token as a Bearer token")
    found = await run_in_threadpool(accounts.by_session, cookie)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get("csrf_token")
            sent = value if isinstance(value, str) else None
        if not sent or not found.csrf_token or not hmac.compare_digest(sent, found.csrf_token):
            raise Forbidden(CSRF_MISSING)
    return found


Me = Annotated[Principal, Depends(principal)]


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
    # Only a path on this site: never an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _page(title: str, body: str, web: WebSettings, token: str) -> HTMLResponse:
    html = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>")
    response = HTMLResponse(html)
    response.set_cookie(FORM_COOKIE, token, httponly=True, secure=web.secure_cookies, samesite="strict", path="/")
    return response


router = APIRouter(prefix="/auth", include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str = "/", error: str = "") -> HTMLResponse:
    web = web_settings(request)
    token = _form_token(request)
    oidc = (f"<p><a href='/auth/oidc/login?next={quote(safe_next(next))}'>Sign in with "
            f"{escape(web.oidc_name)}</a></p>" if web.oidc else "")
    alert = f"<p role='alert'>{escape(error)}</p>" if error else ""
    body = (f"{alert}<form method='post' action='/auth/login'>"
            f"<input type='hidden' name='csrf_token' value='{escape(token)}'>"
            f"<input type='hidden' name='next' value='{escape(safe_next(next))}'>"
            "<p><label for='email'>Email address</label><br><input id='email' name='email' type='email' "
            "autocomplete='username' required></p>"
            "<p><label for='password'>Password</label><br><input id='password' name='password' type='password' "
            "autocomplete='current-password' required></p>"
            f"<p><button type='submit'>Sign in</button></p></form>{oidc}")
    return _page("Sign in", body, web, token)


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
        query = urlencode({"next": safe_next(next), "error": str(exc)})
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


@router.get("/set-password")
def set_password_form(request: Request, token: str = "") -> HTMLResponse:
    form_token = _form_token(request)
    body = ("<form method='post' action='/auth/set-password'>"
            f"<input type='hidden' name='csrf_token' value='{escape(form_token)}'>"
            f"<input type='hidden' name='token' value='{escape(token)}'>"
            "<p><label for='password'>New password (at least 12 characters)</label><br>"
            "<input id='password' name='password' type='password' autocomplete='new-password' required></p>"
            "<p><button type='submit'>Set password</button></p></form>")
    return _page("Choose your password", body, web_settings(request), form_token)


@router.post("/set-password")
def set_password(request: Request, token: Annotated[str, Form()], password: Annotated[str, Form()],
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    _check_form_token(request, csrf_token)
    accounts_of(request).set_password(token, password)
    return RedirectResponse("/auth/login", status_code=303)
