"""API tokens: each person's own personal API tokens (an admin's, anyone's), as `cycle tokens` makes, lists and
revokes them. A new token is shown once, on the answer to the form that made it, and kept only as its SHA-256.

Whose tokens a person may manage is `Accounts.whose_tokens`'s rule; the page asks it on every request.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from workflow.errors import CycleError

from ..accounts import Accounts
from ..problems import status_of
from ..records import RowId
from .render import done, render
from .viewer import Viewer, viewer

router = APIRouter(include_in_schema=False)


def _accounts(request: Request) -> Accounts:
    found: Accounts = request.app.state.accounts
    return found


def _back(owner: str, seen: Viewer) -> str:
    return "/tokens" if owner == seen.email else f"/tokens?email={quote(owner)}"


def show(request: Request, seen: Viewer, email: str | None, *, created: str = "", name: str = "",
         errors: dict[str, str] | None = None, status: int = 200) -> Response:
    accounts = _accounts(request)
    owner = accounts.whose_tokens(seen.principal, email)
    tokens = accounts.tokens(owner)
    return render(request, "tokens.html", status=status, title="API tokens", owner=owner,
                  section="/tokens" if owner == seen.email else "/accounts",
                  own=owner == seen.email, tokens=tokens, created=created, name=name, errors=errors or {},
                  active=sum(1 for t in tokens if t.revoked_at is None))


def create_now(request: Request, seen: Viewer, email: str, name: str) -> Response:
    accounts = _accounts(request)
    owner = accounts.whose_tokens(seen.principal, email or None)
    try:
        secret = accounts.create_token(owner, name)
    except CycleError as exc:
        return show(request, seen, owner, name=name, errors={"name": str(exc)}, status=status_of(exc))
    # Shown on this answer only (never through a redirect, a cookie or the address): it is not kept anywhere.
    return show(request, seen, owner, created=secret, status=201)


def revoke_now(request: Request, seen: Viewer, email: str, token_id: int) -> Response:
    accounts = _accounts(request)
    owner = accounts.whose_tokens(seen.principal, email or None)
    try:
        accounts.revoke_token(owner, token_id)
    except CycleError as exc:
        return show(request, seen, owner, errors={f"revoke-{token_id}": str(exc)}, status=status_of(exc))
    return done(_back(owner, seen), f"Token {token_id} is revoked: a script that sends it is refused from now on")


@router.get("/tokens")
async def tokens_page(request: Request, seen: Annotated[Viewer, Depends(viewer)], email: str = "") -> Response:
    return await run_in_threadpool(show, request, seen, email[:300] or None)


@router.post("/tokens")
async def create(request: Request, seen: Annotated[Viewer, Depends(viewer)],
                 email: Annotated[str, Form(max_length=300)] = "",
                 name: Annotated[str, Form(max_length=1000)] = "") -> Response:
    return await run_in_threadpool(create_now, request, seen, email, name)


@router.post("/tokens/{token_id}/revoke")
async def revoke(request: Request, seen: Annotated[Viewer, Depends(viewer)], token_id: RowId,
                 email: Annotated[str, Form(max_length=300)] = "") -> Response:
    return await run_in_threadpool(revoke_now, request, seen, email, token_id)
