"""The keyed seal on history rows: HMAC-SHA256 with a key the database never holds.

The plain chain (`workflow/audit.py`) is computed by the database, so anyone who can write the
tables can also write a row that chains: the application's database credential, or the owner with
the triggers dropped. The seal is computed here, by the application, with a key read from a file
(`CYCLE_AUDIT_KEY_FILE`) outside the database; the database stores it and chains it. A row added or
changed by someone without the key carries no seal, or one that does not match.

A seal is `key id:nonce:mac`. The key id names the key (not the secret) so a row sealed under a
retired key is told apart from a forgery; the nonce makes every seal unique, so a sealed row
copied elsewhere in the history is found as a repeat. The MAC covers the row's cycle, its fields
and its data, not its time: on PostgreSQL the server sets `at` as the row is inserted, after the
application sealed it; the time is covered by the plain chain and by the anchor (`--expect`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConfigurationError
from .models import HistoryEntry

KEY_MIN_BYTES = 32
SEALED = ("actor", "action", "trigger", "strand", "from_state", "to_state", "comment")


def _field(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def canonical(data: Mapping[str, Any] | None) -> str:
    """The data as the seal reads it: the same text whether it comes from the command or the database."""
    return json.dumps(data or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def message(nonce: str, cycle_id: int, fields: Mapping[str, Any]) -> bytes:
    """What the MAC covers: the nonce, the cycle and the row's fields, each as `length:text`."""
    parts = [nonce, str(cycle_id), *(fields.get(name) for name in SEALED), canonical(fields.get("data"))]
    return "|".join(_field(p) for p in parts).encode()


class Sealer:
    """Seals history rows with one key and checks seals made with it."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_MIN_BYTES:
            raise ConfigurationError(f"the audit key has {len(key)} bytes; it needs at least {KEY_MIN_BYTES} "
                                     "(make one with: head -c 32 /dev/urandom | base64 > FILE)")
        self._key = key
        # Names the key in each seal without revealing it: verify tells a retired key from a forgery.
        self.key_id = hashlib.sha256(b"strategy-cycle audit key id\0" + key).hexdigest()[:8]

    @classmethod
    def from_file(cls, path: Path) -> Sealer:
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigurationError(f"CYCLE_AUDIT_KEY_FILE='{path}' cannot be read ({exc.strerror}); "
                                     "the audit key is read from that file") from None
        return cls(key)

    def _mac(self, nonce: str, cycle_id: int, fields: Mapping[str, Any]) -> str:
        return hmac.new(self._key, message(nonce, cycle_id, fields), hashlib.sha256).hexdigest()

    def seal(self, cycle_id: int, fields: Mapping[str, Any]) -> str:
        """The seal of a new row of `cycle_id` with `fields` (actor ... comment, data)."""
        nonce = secrets.token_hex(8)
        return f"{self.key_id}:{nonce}:{self._mac(nonce, cycle_id, fields)}"

    def problem(self, seal: str, cycle_id: int, fields: Mapping[str, Any]) -> str | None:
        """Why `seal` is not this row's seal under this key, or None when it is."""
        key_id, _, rest = seal.partition(":")
        nonce, _, mac = rest.partition(":")
        if key_id != self.key_id:
            return (f"is sealed with another key (id {key_id}, this one is {self.key_id}): verify with that key, "
                    "or the seal was forged")
        if not hmac.compare_digest(mac, self._mac(nonce, cycle_id, fields)):
            return "does not match its seal: the row was changed, or written by someone without the audit key"
        return None


def install(sessions: sessionmaker[Session], sealer: Sealer) -> None:
    """Seal every history row the ORM inserts through `sessions` (the fire path seals its own)."""

    @event.listens_for(sessions, "before_flush")
    def _seal_new_rows(session: Session, _context: Any, _instances: Any) -> None:
        for row in session.new:
            if isinstance(row, HistoryEntry) and row.seal is None:
                if row.data is None:
                    row.data = {}
                row.seal = sealer.seal(row.cycle_id, {name: getattr(row, name) for name in (*SEALED, "data")})
