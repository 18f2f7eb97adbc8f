"""refused fires counted by reason, for the metrics every process serves

Revision ID: 0005e
Revises: 0005c
Create Date: 2026-11-29 01:30:00.000000

Fires are counted from history; a refusal leaves no history, so it is counted here,
outside the cycle's tables.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0005e'
down_revision: str | None = '0005c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('refusal_counts',
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('last_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('reason', name=op.f('pk_refusal_counts'))
    )


def downgrade() -> None:
    op.drop_table('refusal_counts')
