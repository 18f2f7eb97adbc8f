"""Where sign-in sends a person back to: a path on this site, never another site (no open redirect).

An email's link leads a person who is not signed in to the sign-in page with the page
as `next`; after a password or an OpenID Connect sign-in they land on it. Only a local
path is accepted: an absolute URL, a scheme-relative `//host` (or `/\\host`, which
browsers read the same way), a backslash or a control character anywhere sends them
to `/` instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

HOME = "/"
LONGEST = 2000  # characters: a link of ours is under 200


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else `/` (which leads to My work)."""
    if not target or len(target) > LONGEST or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    if any(ch == "\\" or ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return HOME  # browsers drop tabs and newlines and read "\" as "/": "/\t/evil.example" is "//evil.example"
    try:
        parts = urlsplit(target)
    except ValueError:
        return HOME
    return HOME if parts.scheme or parts.netloc else target
