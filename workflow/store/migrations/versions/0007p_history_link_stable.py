"""history_link is STABLE, so PostgreSQL inlines it into the chain trigger's cached plan

Revision ID: 0007p_history_link_stable
Revises: 0007c_case_contacts
Create Date: 2026-12-06 13:35:00.000000

`history_link` (0005b, 0006c) was declared IMMUTABLE, but its body formats the row's time with
`to_char`, which is only STABLE; PostgreSQL then neither inlines the function nor keeps a plan for it,
and parsed and planned it again for every history row written. Declared STABLE (which it is), it is
inlined into `history_chain`'s cached plan: measured under load, a history row's insert took about
236 µs of the database's time instead of 379 µs. The hash it computes is the same, so every chain
keeps verifying. SQLite computes the hash in its own trigger and is unchanged.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007p_history_link_stable'
down_revision: str | None = '0007c_case_contacts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER FUNCTION history_link(text, history) STABLE")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER FUNCTION history_link(text, history) IMMUTABLE")
