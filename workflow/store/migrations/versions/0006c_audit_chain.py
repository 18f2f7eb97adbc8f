"""the keyed seal on history rows joins the hash chain

Revision ID: 0006c_audit_chain
Revises: 0005f
Create Date: 2026-12-06 06:30:00.000000

`history.seal` holds the HMAC-SHA256 the application computes with its audit key
(`workflow/store/audit_seal.py`); the chain's hash covers it as one more field, only when it is set, so
every row written before this revision keeps the hash it has and keeps verifying. On SQLite the
seal, like the other fields, cannot be changed once written.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006c_audit_chain'
down_revision: str | None = '0006b_web_guard'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_FIELDS = ("actor", "action", "trigger", "strand", "from_state", "to_state", "comment")
REHEARSAL = "EXISTS (SELECT 1 FROM database_marks WHERE name = 'rehearsal')"
REFUSAL = "the history table is append-only: its rows are never changed or removed"


def _field(sql: str) -> str:
    """A field as `length:text`, or '-' for NULL, as in 0005b."""
    return f"coalesce(length({sql}) || ':' || {sql}, '-')"


def _link(prev: str, row: str, at: str, data: str, cycle_id: str, rehearsal: str, *, sealed: bool) -> str:
    parts = [_field(prev), _field(cycle_id), _field(at)]
    parts += [_field(f"{row}.{name}") for name in HISTORY_FIELDS]
    parts += [_field(data), _field(f"(CASE WHEN {rehearsal} THEN 'rehearsal' ELSE 'live' END)")]
    encoded = " || '|' || ".join(parts)
    if sealed:  # the seal is one more field when there is one; an unsealed row hashes as before
        encoded = f"({encoded} || coalesce('|' || length({row}.seal) || ':' || {row}.seal, ''))"
    return encoded


def _postgresql(sealed: bool) -> None:
    at = "to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    body = _link("prev", "h", at, "h.data::text", "h.cycle_id::text", "h.rehearsal", sealed=sealed)
    op.execute(
        "CREATE OR REPLACE FUNCTION history_link(prev text, h history) RETURNS text AS $$ "
        f"SELECT encode(sha256(convert_to({body}, 'UTF8')), 'hex') $$ LANGUAGE sql IMMUTABLE"
    )


def _sqlite(sealed: bool) -> None:
    op.execute("DROP TRIGGER IF EXISTS history_chain")
    op.execute("DROP TRIGGER IF EXISTS history_no_update")
    prev = ("(SELECT p.hash FROM history p WHERE p.cycle_id = NEW.cycle_id AND p.id < NEW.id "
            "ORDER BY p.id DESC LIMIT 1)")
    link = _link(prev, "NEW", "NEW.at", "NEW.data", "CAST(NEW.cycle_id AS TEXT)", REHEARSAL, sealed=sealed)
    op.execute(f"CREATE TRIGGER history_chain AFTER INSERT ON history BEGIN "
               f"UPDATE history SET hash = cycle_sha256({link}), rehearsal = {REHEARSAL} WHERE id = NEW.id; END")
    columns = ", ".join(("id", "cycle_id", "at", "data", *HISTORY_FIELDS, *(("seal",) if sealed else ())))
    op.execute(f"CREATE TRIGGER history_no_update BEFORE UPDATE OF {columns} ON history "
               f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def upgrade() -> None:
    op.add_column('history', sa.Column('seal', sa.String(length=100), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql(sealed=True)
    else:
        _sqlite(sealed=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql(sealed=False)
        op.execute("ALTER TABLE history DROP COLUMN seal")
        return
    _sqlite(sealed=False)
    op.execute("ALTER TABLE history DROP COLUMN seal")
