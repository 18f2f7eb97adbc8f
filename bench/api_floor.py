"""The API's fire endpoint with the engine's work taken out: what FastAPI costs a request of its shape.

Served by `bench/api.py` beside `cycle web` (`uvicorn bench.api_floor:app`, the same uvicorn
loop and HTTP parser), and fired by the same clients. The route is declared as the real one
(`web.api_cycles.fire`): the same path parameter, credential dependency, request body and response
model, and one move to the same kind of command pool (`web.threads.Commands`); in that thread it
answers a fixed result instead of signing anyone in or firing anything. It has none of the real
app's middleware (idempotency, metrics, the access log), so it is a floor: no API fire through
FastAPI can cost the server less than this, whatever the engine does.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from web.api_cycles import CycleRef, FiredOut, FireTrigger
from web.auth import AsCaller
from web.threads import Commands

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
commands = Commands()


@app.post("/api/v1/cycles/{cycle}/fire", response_model=FiredOut)
async def fire(caller: AsCaller, cycle: CycleRef, body: FireTrigger) -> dict[str, Any]:
    def answered() -> dict[str, Any]:
        return {"cycle": cycle, "trigger": body.trigger, "from_state": "ping", "to_state": "pong",
                "strand": body.strand, "version": 1, "events": []}

    return await commands.run(answered)
