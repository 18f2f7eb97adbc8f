"""The keyed seal on history rows: HMAC-SHA256 with a key the database never holds.

The plain chain (`workflow/store/audit.py`) is computed by the database, so anyone who can write the
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

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from workflow.errors import ConfigurationError
from workflow.store.models import HistoryEntry

KEY_MIN_BYTES = 32
SEALED = ("actor", "action", "trigger", "strand", "from_state", "to_state", "comment")


SEALED_FROM = b"sealed-from:"


def _sealed_from(path: Path, lines: list[bytes]) -> int | dt.datetime | None:
    """The key file's `sealed-from: ROW` (the first history id sealed) or `sealed-from: TIME` (ISO 8601)."""
    if not lines:
        return None
    value = lines[-1][len(SEALED_FROM):].strip().decode("utf-8", "replace")
    if value.isdigit():
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"CYCLE_AUDIT_KEY_FILE='{path}' says 'sealed-from: {value}'; give the first "
                                 "sealed history row's id or the time sealing began (2026-12-06T08:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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
    """Seals history rows with the current key; checks seals made with it or with a retired key."""

    def __init__(self, key: bytes, *retired: bytes, sealed_from: int | dt.datetime | None = None) -> None:
        # Where sealing began, as the key file says (outside the database): every row from there on,
        # in any cycle, must carry a seal. None: the file does not say, verify falls back to the
        # history's first sealed row, which someone able to strip every seal can move.
        self.sealed_from = sealed_from
        self._keys: dict[str, bytes] = {}
        for each in (key, *retired):
            if len(each) < KEY_MIN_BYTES:
                raise ConfigurationError(f"an audit key has {len(each)} bytes; each needs at least {KEY_MIN_BYTES} "
                                         "(make one with: head -c 32 /dev/urandom | base64 > FILE)")
            # Names the key in each seal without revealing it: verify tells a retired key from a forgery.
            self._keys[hashlib.sha256(b"strategy-cycle audit key id\0" + each).hexdigest()[:8]] = each
        self.key_id = next(iter(self._keys))

    @classmethod
    def from_file(cls, path: Path) -> Sealer:
        """The key file: one key a line (text, such as base64), the current one first, retired ones after it."""
        try:
            lines = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
        except OSError as exc:
            raise ConfigurationError(f"CYCLE_AUDIT_KEY_FILE='{path}' cannot be read ({exc.strerror}); "
                                     "the audit key is read from that file") from None
        starts = [line for line in lines if line.startswith(SEALED_FROM)]
        lines = [line for line in lines if not line.startswith(SEALED_FROM)]
        if not lines:
            raise ConfigurationError(f"CYCLE_AUDIT_KEY_FILE='{path}' is empty; put a key of at least "
                                     f"{KEY_MIN_BYTES} bytes in it (head -c 32 /dev/urandom | base64)")
        return cls(*lines, sealed_from=_sealed_from(path, starts))

    def must_be_sealed(self, row_id: int, at: str | None) -> bool:
        """Does the key file say this row (its id, its time as the database stores it) was written sealed?"""
        if isinstance(self.sealed_from, int):
            return row_id >= self.sealed_from
        if self.sealed_from is None or not at:
            return False
        try:
            written = dt.datetime.fromisoformat(at)
        except ValueError:
            return True  # a time that does not parse was not written by the database: fail closed
        return (written if written.tzinfo else written.replace(tzinfo=dt.UTC)) >= self.sealed_from

    def _mac(self, key_id: str, nonce: str, cycle_id: int, fields: Mapping[str, Any]) -> str:
        return hmac.new(self._keys[key_id], message(nonce, cycle_id, fields), hashlib.sha256).hexdigest()

    def seal(self, cycle_id: int, fields: Mapping[str, Any]) -> str:
        """The seal of a new row of `cycle_id` with `fields` (actor ... comment, data), under the current key."""
        nonce = secrets.token_hex(8)
        return f"{self.key_id}:{nonce}:{self._mac(self.key_id, nonce, cycle_id, fields)}"

    def problem(self, seal: str, cycle_id: int, fields: Mapping[str, Any]) -> str | None:
        """Why `seal` is not this row's seal under any of the keys, or None when it is."""
        key_id, _, rest = seal.partition(":")
        nonce, _, mac = rest.partition(":")
        if key_id not in self._keys:
            return (f"is sealed with a key not in the key file (id {key_id}; the current key is {self.key_id}): "
                    "add that key as a retired one, or the seal was forged")
        if not hmac.compare_digest(mac, self._mac(key_id, nonce, cycle_id, fields)):
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
