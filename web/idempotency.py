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
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.engine import Engine
from workflow.store.models import IdempotentResponse
from workflow.store.outbox import wall_clock

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


class IdempotencyMiddleware:
    """Plain ASGI, so a request without the header passes straight through at no cost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = request.headers.get(HEADER)
        credential = request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE) or ""
        if key is None or not credential:  # without a credential, the request is refused anyway
            await self.app(scope, receive, send)
            return
        if not key.strip() or len(key) > MAX_KEY:
            await problem(422, f"the {HEADER} header should be 1 to {MAX_KEY} characters, such as a UUID")(
                scope, receive, send)
            return
        store: IdempotencyStore = scope["app"].state.idempotency
        scope_hash, path = digest(credential), request.url.path
        found = await run_in_threadpool(store.claim, scope_hash, key, "POST", path)
        if found is not None:
            await self._answer(found, path)(scope, receive, send)
            return
        status, media_type, body = 500, None, bytearray()

        async def capture(message: Message) -> None:
            nonlocal status, media_type
            if message["type"] == "http.response.start":
                status = message["status"]
                media_type = Headers(raw=message.get("headers", [])).get("content-type")
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await run_in_threadpool(store.release, scope_hash, key)
            raise
        if status >= 500 or status == 401:
            await run_in_threadpool(store.release, scope_hash, key)
        else:
            await run_in_threadpool(store.save, scope_hash, key, status, media_type, bytes(body))

    @staticmethod
    def _answer(found: Stored, path: str) -> Response:
        if found.path != path:
            return problem(422, f"this {HEADER} was used for another request ({found.path}); use a new key "
                                "for each request")
        if found.status is None:
            return problem(409, f"a request with this {HEADER} is still being handled; try again in a moment")
        replay = Response(found.body or b"", status_code=found.status)
        if found.media_type:
            replay.headers["content-type"] = found.media_type
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
