"""Accounts (admins): every account, and adding, inviting, disabling and resetting one, as `cycle users` does.

The rules (who may have an account, what an address and a password must be, how a one-time link is sent and kept
masked) are `web.accounts.Accounts`'s: this page only asks it and shows the answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.errors import CycleError

from ..accounts import Accounts
from ..problems import status_of
from .render import done, render
from .viewer import Viewer, admin_only, viewer

router = APIRouter(include_in_schema=False)
DOING = "manages accounts"


def _accounts(request: Request) -> Accounts:
    found: Accounts = request.app.state.accounts
    return found


def show(request: Request, seen: Viewer, *, typed: dict[str, str] | None = None,
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    admin_only(seen, DOING)
    return render(request, "accounts.html", status=status, title="Accounts", section="/accounts",
                  accounts=_accounts(request).all(), typed=typed or {"password_now": "no"}, errors=errors or {})


def add_now(request: Request, seen: Viewer, email: str, admin: str, password_now: str, password: str) -> Response:
    admin_only(seen, DOING)
    accounts = _accounts(request)
    typed = {"email": email, "admin": admin, "password_now": password_now}
    chosen = password if password_now == "yes" else None
    errors = accounts.add_problems(email, password=chosen, admin=admin == "yes")
    if errors:  # every problem at once, nothing written
        return show(request, seen, typed=typed, errors=errors, status=422)
    try:
        account = accounts.add(email, password=chosen, admin=admin == "yes", by=seen.email)
    except CycleError as exc:
        return show(request, seen, typed=typed, errors={"email": str(exc)}, status=status_of(exc))
    if chosen is not None:
        return done("/accounts", f"{account.email} can now sign in with the password you chose")
    try:
        accounts.send_link(account.email, "invite")
    except CycleError as exc:
        return show(request, seen, errors={"email": f"the account is made, but {exc}"}, status=status_of(exc))
    return done("/accounts", f"{account.email} is invited: a one-time link to choose a password is emailed to them")


def act_now(request: Request, seen: Viewer, action: str, email: str) -> Response:
    admin_only(seen, DOING)
    accounts = _accounts(request)
    try:
        if action == "reset":
            accounts.send_link(email, "reset")
            notice = f"A one-time link to set a new password is emailed to {email}"
        else:
            accounts.disable(email)
            notice = f"{email} can no longer sign in: their sessions have ended and their API tokens are revoked"
    except CycleError as exc:
        return show(request, seen, errors={f"{action}-{email}": str(exc)}, status=status_of(exc))
    return done("/accounts", notice)


@router.get("/accounts")
async def accounts_page(request: Request, seen: Annotated[Viewer, Depends(viewer)]) -> Response:
    return await run_in_threadpool(show, request, seen)


@router.post("/accounts")
async def add(request: Request, seen: Annotated[Viewer, Depends(viewer)],
              email: Annotated[str, Form(max_length=300)] = "", admin: Annotated[str, Form(max_length=3)] = "",
              password_now: Annotated[str, Form(max_length=3)] = "no",
              password: Annotated[str, Form(max_length=1000)] = "") -> Response:
    return await run_in_threadpool(add_now, request, seen, email, admin, password_now, password)


def confirm(request: Request, seen: Viewer, email: str) -> Response:
    admin_only(seen, DOING)
    found = [a for a in _accounts(request).all() if a.email == email and not a.disabled]
    if not found:
        return show(request, seen, errors={"every-account": f"{email} has no account that can be disabled"},
                    status=404)
    return render(request, "disable_account.html", title=f"Disable the account of {email}?", section="/accounts", email=email)


@router.get("/accounts/disable")
async def disable_form(request: Request, seen: Annotated[Viewer, Depends(viewer)], email: str = "") -> Response:
    return await run_in_threadpool(confirm, request, seen, email[:300])


@router.post("/accounts/reset")
async def reset(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                email: Annotated[str, Form(max_length=300)] = "") -> Response:
    return await run_in_threadpool(act_now, request, seen, "reset", email)


@router.post("/accounts/disable")
async def disable(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                  email: Annotated[str, Form(max_length=300)] = "") -> Response:
    return await run_in_threadpool(act_now, request, seen, "disable", email)
