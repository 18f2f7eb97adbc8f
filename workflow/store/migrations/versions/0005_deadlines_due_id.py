"""ix_deadlines_due on (due_at, id): the sweep's claim order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 20:05:00.000000

The sweep claims `ORDER BY due_at, id LIMIT 1` among the pending rows. An index on `due_at`
alone made that an incremental sort over every pending row sharing the earliest `due_at`
(thousands at 09:00, when the reminders fall due); on (due_at, id) the claim reads one row.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_index('ix_deadlines_due', table_name='deadlines')
    op.create_index('ix_deadlines_due', 'deadlines', ['due_at', 'id'], unique=False,
                    postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_index('ix_deadlines_due', table_name='deadlines')
    op.create_index('ix_deadlines_due', 'deadlines', ['due_at'], unique=False,
                    postgresql_where=PENDING, sqlite_where=PENDING)
