"""`Idempotency-Key` on every POST: a retried request gets the first response, and acts once.

The key is claimed in the database before the request runs (a row with no status),
scoped to the caller's credential, so two processes receiving the same retry cannot
both act: the second is told the first is still running (409) or is given its
response. A request that ends in a server error releases its key, so it can be tried
again; every other response, refusals included, is the answer to that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from workflow.engine import Engine
from workflow.models import IdempotentResponse
from workflow.outbox import wall_clock

from .accounts import digest
from .auth import SESSION_COOKIE
from .problems import problem

HEADER = "Idempotency-Key"
MAX_KEY = 200


@dataclass(frozen=True)
class Stored:
    path: str
    status: int | None
    media_type: str | None
    body: bytes | None


class IdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, scope: str, key: str, method: str, path: str) -> Stored | None:
        """None if the key is ours now; else what is stored under it (status None: still running)."""
        try:
            with self.engine.unit_of_work() as session:
                session.add(IdempotentResponse(scope=scope, key=key, method=method, path=path, created_at=wall_clock()))
            return None
        except IntegrityError:
            with self.engine.sessions() as session:
                row = session.get(IdempotentResponse, (scope, key))
                if row is None:  # released between our insert and our read: try once more
                    return self.claim(scope, key, method, path)
                return Stored(row.path, row.status, row.media_type, row.body)

    def save(self, scope: str, key: str, status: int, media_type: str | None, body: bytes) -> None:
        with self.engine.unit_of_work() as session:
            session.execute(update(IdempotentResponse).where(
                IdempotentResponse.scope == scope, IdempotentResponse.key == key)
                .values(status=status, media_type=media_type, body=body))

    def release(self, scope: str, key: str) -> None:
        with self.engine.unit_of_work() as session:
            session.execute(delete(IdempotentResponse).where(
                IdempotentResponse.scope == scope, IdempotentResponse.key == key))


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER)
        credential = request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE) or ""
        if request.method != "POST" or key is None or not credential:
            return await call_next(request)  # without a credential, the request is refused anyway
        if not key.strip() or len(key) > MAX_KEY:
            return problem(422, f"the {HEADER} header should be 1 to {MAX_KEY} characters, such as a UUID")
        store: IdempotencyStore = request.app.state.idempotency
        scope, path = digest(credential), request.url.path
        found = await run_in_threadpool(store.claim, scope, key, request.method, path)
        if found is not None:
            if found.path != path:
                return problem(422, f"this {HEADER} was used for another request ({found.path}); use a new key "
                                    "for each request")
            if found.status is None:
                return problem(409, f"a request with this {HEADER} is still being handled; try again in a moment")
            replay = Response(found.body or b"", status_code=found.status, media_type=found.media_type)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = await call_next(request)
            body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        except BaseException:
            await run_in_threadpool(store.release, scope, key)
            raise
        if response.status_code >= 500 or response.status_code == 401:
            await run_in_threadpool(store.release, scope, key)
        else:
            await run_in_threadpool(store.save, scope, key, response.status_code, response.media_type
                                    or response.headers.get("content-type"), body)
        replayable = Response(body, status_code=response.status_code)
        replayable.raw_headers = list(response.raw_headers)
        return replayable
