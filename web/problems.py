"""Errors as RFC 9457 problem documents, carrying the sentence the command line prints.

The status follows the error's class in `workflow.errors`: not signed in 401,
a missing role 403, not found (or not yours to see) 404, another command won the
race 409, refused (gate, stage, bad input) 422, the cycle busy with another change past the lock wait 503 (with
Retry-After: the same request, sent again in a moment, is expected to go through).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflow.errors import (
    Busy,
    ConcurrentChange,
    CycleError,
    DefinitionError,
    FieldValuesInvalid,
    GateNotMet,
    NotFound,
    RoleMissing,
    UnknownActor,
    UnknownDefinition,
)
from workflow.store.db import waited_too_long
from workflow.store.unit import CYCLE_BUSY

from .accounts import NotSignedIn
from .sign_in_throttle import Locked

MEDIA_TYPE = "application/problem+json"
TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 409: "Changed by someone else", 413: "Too large",
          422: "Refused", 429: "Too many attempts", 503: "Service unavailable"}
RETRY_AFTER = 5
"""Seconds a client refused because the cycle was busy is asked to wait before sending the request again."""


class Forbidden(CycleError):
    """A request the signed-in person may not make (a missing CSRF token, an admin's command)."""

    exit_code = 3


class ProblemModel(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    reasons: list[str] | None = None
    problems: list[dict[str, Any]] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemModel, "description": TITLES[code],
           "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemModel"}}}}
    for code in (401, 403, 404, 409, 422, 503)
}
PROBLEM_RESPONSES[503] |= {
    "description": "Service unavailable: the database cannot be reached, or the cycle was busy with another change "
                   "for longer than CYCLE_LOCK_WAIT (then with Retry-After); nothing was written, send it again",
    "headers": {"Retry-After": {"description": "Seconds to wait before sending the request again (the cycle busy)",
                                "schema": {"type": "integer"}}},
}


def status_of(exc: CycleError) -> int:
    if isinstance(exc, NotSignedIn):
        return 401
    if isinstance(exc, Locked):
        return 429
    if isinstance(exc, RoleMissing | Forbidden):
        return 403
    if isinstance(exc, NotFound | UnknownDefinition | UnknownActor):
        return 404
    if isinstance(exc, Busy):
        return 503
    if isinstance(exc, ConcurrentChange):
        return 409
    return 422


def problem(status: int, detail: str, *, retry_after: int | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                            "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="strategy-cycle"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers or None)


PageRenderer = Callable[[Request, int, str], Response]
NO_PAGE = "there is no page at this address; check it, or start from My work"


def install(app: FastAPI, page: PageRenderer | None = None,
            sign_in_first: Callable[[Request], Awaitable[CycleError | None]] | None = None) -> None:
    """Errors as problem documents; as an HTML page, through `page`, for a browser outside the API.

    `sign_in_first` says why a request that is not valid would have been refused anyway (not signed in, a
    bad token or CSRF token), so that nobody learns a request's shape before they are signed in: 401 or 403
    comes before 422."""

    def answer(request: Request, status: int, detail: str, *, retry_after: int | None = None,
               **extra: Any) -> Response:
        if (page is not None and not request.url.path.startswith("/api/")
                and "text/html" in request.headers.get("accept", "")):
            shown = page(request, status, detail)
            if retry_after is not None:
                shown.headers["Retry-After"] = str(retry_after)
            return shown
        return problem(status, detail, retry_after=retry_after, **extra)

    @app.exception_handler(CycleError)
    async def cycle_error(request: Request, exc: CycleError) -> Response:
        extra: dict[str, Any] = {}
        if isinstance(exc, GateNotMet):
            extra["reasons"] = exc.reasons
        if isinstance(exc, FieldValuesInvalid):
            extra["problems"] = [{"field": name, "message": sentence} for name, sentence in exc.problems.items()]
        if isinstance(exc, DefinitionError):
            extra["problems"] = [{"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                                 for p in exc.problems]
        if isinstance(exc, Busy):
            extra["retry_after"] = RETRY_AFTER
        return answer(request, status_of(exc), str(exc), **extra)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and page is not None:
            return answer(request, 404, NO_PAGE)
        return answer(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        refused = await sign_in_first(request) if sign_in_first is not None else None
        if refused is not None:
            return await cycle_error(request, refused)
        if page is not None and not request.url.path.startswith("/api/") and exc.errors() and all(
                error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            # A page's address whose id cannot name a row (too large for one, not a number) names no page.
            return answer(request, 404, NO_PAGE)
        sentences = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
            if error.get("type") == "extra_forbidden":
                sentences.append(f"'{where}' is not a field of this request; see /api/v1/docs for its fields")
                continue
            sentences.append(f"{where}: {error.get('msg', 'is not valid')}" if where else str(error.get("msg")))
        return answer(request, 422, "the request is not valid: " + "; ".join(sentences))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> Response:
        if waited_too_long(exc):  # a lock held past CYCLE_LOCK_WAIT outside a command's unit of work
            return await cycle_error(request, Busy(CYCLE_BUSY))
        return answer(request, 503, "the database cannot be reached just now; nothing was written: try again shortly")
