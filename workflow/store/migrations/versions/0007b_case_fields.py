"""case fields: the values of the case data a definition declares, one row per cycle and field

Revision ID: 0007b_case_fields
Revises: 0007a_case_instances
Create Date: 2026-12-06 13:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0007b_case_fields'
down_revision: str | None = '0007a_case_instances'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'case_fields',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('value', sa.Text(), nullable=True),
        sa.Column('personal', sa.Boolean(), nullable=False),
        sa.Column('salt', sa.String(length=64), nullable=True),
        sa.Column('set_at', UTC, nullable=False),
        sa.Column('set_by', sa.String(length=100), nullable=False),
        sa.Column('erased_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_case_fields_cycle_id_cycles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_fields')),
        sa.UniqueConstraint('cycle_id', 'name', name=op.f('uq_case_fields_cycle_id')),
    )
    op.create_index(op.f('ix_case_fields_cycle_id'), 'case_fields', ['cycle_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_case_fields_cycle_id'), table_name='case_fields')
    op.drop_table('case_fields')
