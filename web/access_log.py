"""Keep one-time secrets out of the access log.

A password link (`/auth/set-password?token=...`) is a credential until it is used: uvicorn's access
log would write it, in the clear, to wherever the operator ships logs. The filter masks every
`token=` value in the logged path before any handler sees it.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"((?:^|[?&;])(?:token|access_token|code)=)[^&;#\s]*", re.IGNORECASE)
MASKED = "[masked]"


def mask(text: str) -> str:
    return _TOKEN.sub(lambda m: m.group(1) + MASKED, text)


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = mask(record.msg)
        return True


def install() -> None:
    """On uvicorn's access logger, once per process (each worker process builds its app: `web.app`)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskTokens) for f in logger.filters):
        logger.addFilter(MaskTokens())
