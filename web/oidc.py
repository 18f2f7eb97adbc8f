"""OpenID Connect sign-in (Microsoft Entra ID and the like) through Authlib's Starlette client.

At the first sign-in the provider's verified email names the person (an account
with that email must exist: `cycle users add`) and the account is linked to the
provider's subject; later sign-ins match on the subject (see `oidc_identity`).
Then a session is opened as for a password. The state and nonce of a sign-in in
flight travel in a short-lived signed cookie, so any process can finish a
sign-in another began.
"""

from __future__ import annotations

from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool

from .accounts import NotSignedIn
from .auth import accounts_of, safe_next, set_session_cookie
from .config import WebSettings, site_url
from .oidc_identity import account_for, identity

PROVIDER = "council"


def router(web: WebSettings) -> APIRouter:
    oauth = OAuth()
    oauth.register(PROVIDER, server_metadata_url=f"{web.oidc_issuer}/.well-known/openid-configuration",
                   client_id=web.oidc_client_id, client_secret=web.oidc_client_secret,
                   client_kwargs={"scope": "openid email profile"})
    routes = APIRouter(prefix="/auth/oidc", include_in_schema=False)

    @routes.get("/login")
    async def login(request: Request, next: str = "/") -> Any:
        request.session["next"] = safe_next(next)
        client = oauth.create_client(PROVIDER)
        return await client.authorize_redirect(request, f"{site_url(web, str(request.base_url))}/auth/oidc/callback")

    @routes.get("/callback")
    async def callback(request: Request) -> Response:
        client = oauth.create_client(PROVIDER)
        try:
            token = await client.authorize_access_token(request)
        # The provider's refusal, or an ID token that fails Authlib's checks (a foreign issuer, an expired token).
        except (AuthlibBaseError, JoseError) as exc:
            raise NotSignedIn(f"the sign-in with {web.oidc_name} did not complete ({exc.error}); try again") from None
        # The ID token's claims, as Authlib verified them (signature, audience, expiry, nonce).
        person = identity(token.get("userinfo") or {}, web)
        accounts = accounts_of(request)
        account = await run_in_threadpool(account_for, accounts.engine, person, web)
        secret, _csrf = await run_in_threadpool(accounts.open_session, account, "oidc")
        response = RedirectResponse(safe_next(str(request.session.pop("next", "/"))), status_code=303)
        set_session_cookie(response, secret, web)
        return response

    return routes
