"""panels: the members chosen for a cycle's panel at a stage, one row per member per choice

Revision ID: 0007f_panels
Revises: 0007b_case_fields
Create Date: 2026-12-06 13:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0007f_panels'
down_revision: str | None = '0007b_case_fields'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'panel_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('panel', sa.String(length=100), nullable=False),
        sa.Column('choice', sa.Integer(), nullable=False),
        sa.Column('person', sa.String(length=100), nullable=False),
        sa.Column('chosen_by', sa.String(length=100), nullable=False),
        sa.Column('chosen_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_panel_members_cycle_id_cycles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
        sa.UniqueConstraint('cycle_id', 'panel', 'choice', 'person',
                            name=op.f('uq_panel_members_cycle_id')),
    )
    op.create_index(op.f('ix_panel_members_cycle_id'), 'panel_members', ['cycle_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_panel_members_cycle_id'), table_name='panel_members')
    op.drop_table('panel_members')
