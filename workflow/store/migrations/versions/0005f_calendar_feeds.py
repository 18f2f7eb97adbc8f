"""calendar feeds: board members' iCalendar subscription addresses, stored as the SHA-256 of their secret

Revision ID: 0005f
Revises: 0005c
Create Date: 2026-11-29 01:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0005f'
down_revision: str | None = '0005e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('revoked_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_calendar_feeds_account_id_accounts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    )
    op.create_index(op.f('ix_calendar_feeds_account_id'), 'calendar_feeds', ['account_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_calendar_feeds_account_id'), table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
