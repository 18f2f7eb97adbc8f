"""/api/v1/accounts: admins manage who may sign in (the same operations as `cycle users`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from .access import require_admin
from .auth import Me, accounts_of
from .problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/accounts", responses=PROBLEM_RESPONSES)
Email = Path(max_length=300)


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is refused, naming it
    email: str = Field(max_length=300)
    admin: bool = False


class AccountOut(BaseModel):
    email: str
    admin: bool
    disabled: bool
    has_password: bool
    created_at: dt.datetime
    created_by: str


def _out(account: Any) -> dict[str, Any]:
    return {"email": account.email, "admin": account.admin, "disabled": account.disabled,
            "has_password": account.password_hash is not None, "created_at": account.created_at,
            "created_by": account.created_by}


@router.get("", response_model=list[AccountOut], summary="Every account (admins)")
def list_accounts(request: Request, me: Me) -> list[dict[str, Any]]:
    require_admin(me, "manages accounts")
    return [_out(a) for a in accounts_of(request).all()]


@router.post("", response_model=AccountOut, status_code=201,
             summary="Invite a person of the directory: an account and an emailed one-time link (admins)")
def invite(request: Request, me: Me, body: Invite) -> dict[str, Any]:
    require_admin(me, "manages accounts")
    accounts = accounts_of(request)
    account = accounts.add(body.email, password=None, admin=body.admin, by=me.email)
    accounts.send_link(account.email, "invite")
    return _out(account)


@router.post("/{email}/reset", summary="Email a one-time password reset link (admins)")
def reset(request: Request, me: Me, email: str = Email) -> dict[str, str]:
    require_admin(me, "manages accounts")
    accounts_of(request).send_link(email, "reset")
    return {"email": email, "sent": "reset link emailed"}


@router.post("/{email}/disable", summary="Stop an account signing in; its sessions and tokens end (admins)")
def disable(request: Request, me: Me, email: str = Email) -> dict[str, str]:
    require_admin(me, "manages accounts")
    accounts_of(request).disable(email)
    return {"email": email, "disabled": "true"}
