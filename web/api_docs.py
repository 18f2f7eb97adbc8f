"""/api/v1/docs: the API's reference as a page of this service, with no script and nothing from elsewhere.

Swagger UI from a CDN ran a third party's script in the service's origin, where it could read a
signed-in person's CSRF token and act as them; it also needed the internet. This page lists every
operation of the OpenAPI document the service serves (`/api/v1/openapi.json`, committed as
docs/openapi.json for any OpenAPI tool to load), under the same Content-Security-Policy as the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .pages.render import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    parameters: tuple[str, ...]
    body: str  # the request body's schema or media type, "" for none


def operations(schema: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = tuple(f"{p['name']} ({p['in']}{', required' if p.get('required') else ''})"
                               for p in operation.get("parameters", []))
            content = operation.get("requestBody", {}).get("content", {})
            body = ", ".join(f"{media}: {spec.get('schema', {}).get('$ref', '').rsplit('/', 1)[-1] or 'form'}"
                             for media, spec in content.items())
            found.append(Operation(method.upper(), path, operation.get("summary", ""), parameters, body))
    return found


@router.get("/api/v1/docs")
def api_reference(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    return render(request, "api_docs.html", title="API reference", viewer=None, operations=operations(schema),
                  description=schema.get("info", {}).get("description", ""))
