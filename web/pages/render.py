"""The pages' own Jinja2 templates: autoescaped, strict, and the date words people write.

These are the project's templates (web/templates), not the admins' sandboxed ones:
they may call filters but never see anything an admin wrote except as escaped text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workflow.definition.formatting import byte_size, local_time, long_date, short_date

from .words import sentence

NOTICE_COOKIE = "cycle_notice"
ERRORS_COOKIE = "cycle_refused"
COOKIE_ROOM = 3500  # of the 4,096 bytes a browser keeps for a cookie, its name and attributes included
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def days_left(left: int | None) -> str:
    if left is None:
        return ""
    if left < 0:
        return f"{-left} working day{'s' if left != -1 else ''} overdue"
    if left == 0:
        return "due today"
    return f"{left} working day{'s' if left != 1 else ''} left"


def fire_control(cycle_id: int, trigger: str, strand: str | None = None) -> str:
    """The id of a fire button: where a refusal is shown and where the error summary links to."""
    return f"fire-{cycle_id}-{strand}-{trigger}" if strand else f"fire-{cycle_id}-{trigger}"


def make_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(long_date=long_date, short_date=short_date, local_time=local_time, days_left=days_left,
                       size=byte_size, sentence=sentence, capitalize_first=lambda t: t[:1].upper() + t[1:])
    env.globals["fire_control"] = fire_control
    return env


_ENV = make_environment()


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page: the template with the viewer (for the navigation), the section and any errors or notice."""
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    context["errors"] = {**_flashed(request), **(context.get("errors") or {})}
    context.setdefault("notice", unquote(request.cookies.get(NOTICE_COOKIE, "")))
    context.setdefault("section", "")
    html = _ENV.get_template(template).render(request=request, **context)
    response = HTMLResponse(html, status_code=status)
    for cookie in (NOTICE_COOKIE, ERRORS_COOKIE):
        if cookie in request.cookies:
            response.delete_cookie(cookie, path="/")
    return response


def _flashed(request: Request) -> dict[str, str]:
    """The refusal a redirect carried here (`refused`): control id -> sentence, or nothing."""
    raw = request.cookies.get(ERRORS_COOKIE)
    if not raw:
        return {}
    try:
        found = json.loads(unquote(raw))
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k)[:200]: str(v)[:1500] for k, v in list(found.items())[:5] if isinstance(v, str)}


def done(url: str, notice: str) -> RedirectResponse:
    """Post, redirect, get: back to `url`, which shows `notice` once in a success banner.

    The sentence travels in a cookie, not the address, so nobody can send a link that shows words of their own.
    """
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(NOTICE_COOKIE, quote(notice[:300]), max_age=60, httponly=True, samesite="strict", path="/")
    return response


def refused(url: str, errors: dict[str, str]) -> RedirectResponse:
    """Post, redirect, get for a refusal: back to the page the person came from, which shows the engine's
    sentences in its error summary and beside the control (`errors`: control id -> sentence), once.

    Like `done`'s notice, the sentences travel in a cookie, never the address.
    """
    response = RedirectResponse(url, status_code=303)
    limit = 1500
    value = quote(json.dumps({control: sentence[:limit] for control, sentence in errors.items()}))
    while len(value) > COOKIE_ROOM and limit > 100:  # a browser drops a cookie over 4 KB: shorten, never lose it
        limit -= 100
        value = quote(json.dumps({control: sentence[:limit] + "…" for control, sentence in errors.items()}))
    response.set_cookie(ERRORS_COOKIE, value, max_age=60, httponly=True, samesite="strict", path="/")
    return response
