"""The web service's app factory: settings in, a FastAPI app out, on the same database as every command.

Nothing is kept in memory between requests that another process would need:
sessions, sign-in attempts, lockouts and idempotency keys are rows. The pages add
themselves in `web.pages.site`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from tasks.metrics import process_ended
from workflow.app import build
from workflow.settings import Settings
from workflow.time.clock import Clock

from . import (
    api_accounts,
    api_agenda,
    api_contacts,
    api_cycles,
    api_definitions,
    api_fields,
    api_minutes,
    api_panels,
    api_records,
    auth,
    metrics,
    oidc,
    problems,
)
from .access import KnownCycles
from .accounts import Accounts, link_delivery
from .api_docs import router as api_reference
from .auth import refusal_before_invalid
from .config import WebSettings
from .idempotency import IdempotencyMiddleware, IdempotencyStore
from .pages import site
from .threads import Commands

TITLE = "strategy-cycle"
DESCRIPTION = (
    "The REST API of strategy-cycle: a partnership's strategy development cycle. Sign in with a browser session "
    "(POST /auth/login; send the session's CSRF token in X-CSRF-Token) or a personal API token "
    "(`Authorization: Bearer ...`, from `cycle tokens create`). Errors are RFC 9457 problem documents. Every POST "
    "honours an Idempotency-Key header."
)


def create_app(settings: Settings, *, web: WebSettings | None = None, clock: Clock | None = None) -> FastAPI:
    web = web or WebSettings.from_env()
    cycle = build(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The command threads start and stop with each run of the lifespan: an app served again (a test
        # starting it twice) gets threads of its own, never the pool the last run shut down.
        commands = _app.state.commands = Commands()
        yield
        commands.close()  # the commands still running end before the engine closes
        # Disposing only closes the pooled connections: a later run of the lifespan opens new ones.
        cycle.close()
        process_ended()

    app = FastAPI(title=TITLE, version="1", description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.cycle = cycle
    app.state.web = web
    app.state.accounts = Accounts(cycle.engine, web, link_delivery(cycle.engine, settings))
    app.state.idempotency = IdempotencyStore(cycle.engine)
    app.state.cycles = KnownCycles(cycle.engine)
    app.add_middleware(IdempotencyMiddleware)
    problems.install(app, page=site.error_page, sign_in_first=refusal_before_invalid)
    app.include_router(auth.router)
    if web.oidc:
        app.add_middleware(SessionMiddleware, secret_key=signing_secret(settings, web), session_cookie="cycle_oidc",
                           max_age=600, same_site="lax", https_only=web.secure_cookies)
        app.include_router(oidc.router(web))
    app.include_router(api_definitions.router)
    app.include_router(api_cycles.router)
    app.include_router(api_panels.router)
    app.include_router(api_minutes.router)
    app.include_router(api_agenda.router)
    app.include_router(api_fields.router)
    app.include_router(api_contacts.router)
    app.include_router(api_records.router)
    app.include_router(api_accounts.router)
    app.include_router(api_reference)
    metrics.install(app)
    site.install(app)

    return app


def signing_secret(settings: Settings, web: WebSettings) -> str:
    """The key that signs the OpenID Connect sign-in cookie: CYCLE_WEB_SECRET, else one kept in the data directory.

    Every process of the service must use the same key; on several machines, set CYCLE_WEB_SECRET.
    """
    if web.secret:
        return web.secret
    path = settings.data_dir / "web-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return path.read_text(encoding="ascii").strip()


def app_from_env() -> FastAPI:
    """For `uvicorn --factory web.app:app_from_env`: each worker process builds its own app from the environment."""
    from .access_log import install

    install()  # here, not in `cycle web`: each worker process is a fresh interpreter
    return create_app(Settings.from_env())
