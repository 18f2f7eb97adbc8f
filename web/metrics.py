"""/metrics on the web service: the workers' registry (database figures, fires and refusals) and HTTP requests.

The figures reveal no paper or person, but they are operational: they are served to a
scraper presenting the bearer token CYCLE_METRICS_TOKEN, or to a signed-in administrator
(session or personal API token). Not to "anything from loopback": behind a reverse proxy
on the same machine, every request comes from loopback.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasks import metrics

from .auth import principal
from .problems import Forbidden

REQUESTS = Counter("cycle_http_requests", "HTTP requests the web service answered, by route template, method and "
                   "status.", ["route", "method", "status"], registry=metrics.PROCESS)
ADMINS_ONLY = "metrics are for the monitoring service (CYCLE_METRICS_TOKEN) or an administrator"


def install(app: FastAPI) -> None:
    """Serve /metrics (outside the OpenAPI schema) and count every request."""
    served = metrics.registry(app.state.cycle.engine)

    @app.get("/metrics", include_in_schema=False)
    async def scrape(request: Request) -> Response:
        await _allowed(request)
        body = await run_in_threadpool(generate_latest, served)  # the database figures are read here
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(CountRequests)


class CountRequests:
    """Counts each request once its response has started. Plain ASGI (not `@app.middleware`), so no request
    pays for a task of its own and the memory streams between it and the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")
                # The route's template, never the path itself: a cycle key or a token in a URL stays out of
                # the labels.
                REQUESTS.labels(getattr(route, "path", "unmatched"), scope["method"], str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)


async def _allowed(request: Request) -> None:
    token = request.app.state.web.metrics_token
    sent = request.headers.get("authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return
    if not (await principal(request)).admin:  # not signed in: 401, as for every other page
        raise Forbidden(ADMINS_ONLY)
