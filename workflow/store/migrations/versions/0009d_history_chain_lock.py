"""the history chain locks its cycle's row as an UPDATE of it does, so a command never waits to upgrade

Revision ID: 0009d_history_chain_lock
Revises: 0008e_contact_letters
Create Date: 2026-12-06 19:30:00.000000

`history_chain` (0005b) ordered the writers of one cycle's history with `FOR UPDATE` on the cycle's
row. A command has already updated that row (`FOR NO KEY UPDATE`) when it adds its history row, so the
trigger made it upgrade its own lock, and `FOR UPDATE` also waits for every transaction holding the
row's `FOR KEY SHARE`, which PostgreSQL takes for the foreign key of any row inserted for the cycle. A
worker that had inserted a document row (key share) and then its anchoring history row waited for the
command, the command for the worker: "deadlock detected", refused as "the database was busy". `FOR NO
KEY UPDATE` orders history writers against each other just as well and lets foreign keys be. SQLite
serialises writers with BEGIN IMMEDIATE and is unchanged.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0009d_history_chain_lock'
down_revision: str | None = '0008e_contact_letters'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REHEARSAL = "EXISTS (SELECT 1 FROM database_marks WHERE name = 'rehearsal')"


def _chain(lock: str) -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION history_chain() RETURNS trigger AS $$ DECLARE prev text; BEGIN "
        f"NEW.rehearsal := {REHEARSAL}; "
        "IF NOT NEW.rehearsal THEN NEW.at := now(); END IF; "
        f"PERFORM 1 FROM cycles WHERE id = NEW.cycle_id {lock}; "
        "SELECT hash INTO prev FROM history WHERE cycle_id = NEW.cycle_id ORDER BY id DESC LIMIT 1; "
        "NEW.hash := history_link(prev, NEW); RETURN NEW; END $$ LANGUAGE plpgsql"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _chain("FOR NO KEY UPDATE")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _chain("FOR UPDATE")
