"""Through what a command arrived, when not the operator's command line: a web session or an API token.

The web service sets it for each request once it knows who is asking (`web.auth.principal`), and
the engine writes it into each history row's data as `via` ("session 1a2b3c4d5e6f7a8b", "token 7"),
beside the CLI's `os_account`: an id that names the row of `web_sessions` or `api_tokens`, never the
secret. A context variable, so each request (and the worker thread it runs in) sees its own.
"""

from __future__ import annotations

from contextvars import ContextVar

VIA: ContextVar[str | None] = ContextVar("via", default=None)
