"""agenda_changes: the committee manager's changes to a board meeting's agenda and its issues, append-only

Revision ID: 0008a_agenda_changes
Revises: 0007e_list_indexes
Create Date: 2026-12-06 16:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0008a_agenda_changes'
down_revision: str | None = '0007e_list_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'agenda_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('board', sa.String(length=100), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('item', sa.String(length=120), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_changes')),
        sa.UniqueConstraint('board', 'day', 'seq', name=op.f('uq_agenda_changes_board')),
    )


def downgrade() -> None:
    op.drop_table('agenda_changes')
