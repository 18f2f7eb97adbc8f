"""Puts the pages on the app: the static assets, the error page, security headers (on every response) and each page's router."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import (
    accounts,
    actions,
    agenda,
    case_fields,
    contacts,
    cycle,
    cycle_history,
    cycles,
    decisions,
    definition_upload,
    definitions,
    letters,
    meetings,
    migration,
    minutes,
    my_boards,
    my_work,
    operations,
    panels,
    papers,
    public,
    records,
    register,
    start_cycle,
    tokens,
)
from .render import render
from .viewer import Directory, SignInFirst

STATIC = Path(__file__).resolve().parent.parent / "static"
ROUTERS = [my_work.router, actions.router, operations.router, definition_upload.router, definitions.router,
           start_cycle.router, case_fields.router, contacts.router, letters.router, panels.router, cycles.router,
           cycle.router, cycle_history.router, decisions.router, my_boards.router, papers.router,
           records.router, meetings.router, minutes.router, migration.router, accounts.router, tokens.router,
           agenda.router, register.router, public.router]

# No inline script and nothing from another site; inline SVG pictures carry their own style attributes.
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Every answer but a static asset may carry exempt information (a paper, a page, a list, an email):
# no shared or browser cache may keep it. A route that means otherwise says so itself (calendar feeds).
NOT_KEPT = {"Cache-Control": "no-store"}

TITLES = {401: "You are not signed in", 403: "You cannot do this", 404: "Page not found",
          409: "Someone else changed this first", 422: "This cannot be done", 429: "Too many attempts",
          503: "Sorry, the service is unavailable"}


def error_page(request: Request, status: int, sentence: str) -> Response:
    title = TITLES.get(status, "Sorry, there is a problem")
    return render(request, "error.html", status=status, title=title, sentence=sentence, back=way_back(request, status))


def way_back(request: Request, status: int) -> str | None:
    """The cycle page a refused page of that cycle leads back to; none where the cycle itself was not found."""
    parts = request.url.path.strip("/").split("/")
    if status == 404 or len(parts) < 3 or parts[0] != "cycles" or parts[1] == "start":
        return None
    return f"/cycles/{quote(parts[1], safe='')}"


class PageHeaders:
    """Every response, the API's included, gets the page headers: a JSON answer or a download opened in a
    tab is a page too. Plain ASGI (not `@app.middleware`), so no request pays for a task of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = PAGE_HEADERS if scope["path"].startswith("/static/") else PAGE_HEADERS | NOT_KEPT

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = MutableHeaders(scope=message)
                for name, value in headers.items():
                    sent.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    app.state.directory = Directory(app.state.cycle.engine.catalog)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(SignInFirst)
    async def sign_in_first(_request: Request, exc: SignInFirst) -> Response:
        return RedirectResponse(exc.login, status_code=303)

    app.add_middleware(PageHeaders)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/my-work", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:  # asked for by browsers and feed readers that never read the page's <link>
        return RedirectResponse("/static/favicon.svg", status_code=301)

    for router in ROUTERS:
        app.include_router(router)
