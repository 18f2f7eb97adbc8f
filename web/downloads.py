"""The Content-Disposition header of every download: the file's own name, however it is spelt, in a header
every browser reads and no name can break.

RFC 6266 with RFC 5987's encoding: `filename="..."`, an ASCII fallback (accents dropped, other characters
outside ASCII, quotes, backslashes and control characters removed) for old clients, then `filename*=UTF-8''...`,
the whole name percent-encoded, which browsers prefer. Starlette's `FileResponse` encodes the name only for a
file on disk and without the fallback; our downloads are bytes from a store, so they all use this.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

ATTACHMENT, INLINE = "attachment", "inline"


def content_disposition(filename: str, disposition: str = ATTACHMENT) -> str:
    """'attachment; filename="Review Safer streets.pdf"; filename*=UTF-8''Review%20%E2%80%93%20...'."""
    name = " ".join("".join(ch for ch in filename if unicodedata.category(ch)[0] != "C").split())
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = " ".join("".join(ch for ch in ascii_only if ch not in '"\\').split()) or "download"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name or fallback, safe='')}"


def download_headers(filename: str, disposition: str = ATTACHMENT) -> dict[str, str]:
    """The headers a download is sent with: its Content-Disposition."""
    return {"Content-Disposition": content_disposition(filename, disposition)}
