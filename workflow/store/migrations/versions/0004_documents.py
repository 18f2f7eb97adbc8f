"""documents and decision details

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:09:36.463118
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('spec', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('stage', sa.String(length=100), nullable=False),
    sa.Column('definition_version', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=200), nullable=False),
    sa.Column('template_sha256', sa.String(length=64), nullable=False),
    sa.Column('html_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('docx_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_documents_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('event_id', 'spec', 'version', name=op.f('uq_documents_event_id'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_cycle_id'), ['cycle_id'], unique=False)

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), server_default='{}', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('details')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_cycle_id'))

    op.drop_table('documents')
