"""The digest the history keeps of a personal case field's value, in place of the value.

HMAC-SHA256 keyed by a random salt kept with the value (`case_fields.salt`), one per cycle and field: the
digest cannot be tested against a dictionary of names or dates without the salt, and once retention
erases the value and its salt together, the history's digest names nothing that can be recovered. The
history row itself is never changed, so the hash chain and the seals still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

DIGEST = "hmac-sha256"


def new_salt() -> str:
    return secrets.token_hex(32)


def field_digest(salt: str, name: str, value: str) -> str:
    """The keyed digest of one field's value: what the history records for a personal field."""
    message = f"{len(name)}:{name}|{len(value)}:{value}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()
