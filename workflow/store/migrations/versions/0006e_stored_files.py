"""stored files: papers and documents kept in the database, in chunks under their SHA-256 (CYCLE_STORAGE=database)

Revision ID: 0006e_stored_files
Revises: 0005f
Create Date: 2026-12-06 06:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0006e_stored_files'
down_revision: str | None = '0006d_oidc_subject'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        'stored_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('stored_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files')),
    )
    op.create_table(
        'stored_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['stored_files.sha256'], name=op.f('fk_stored_chunks_sha256_stored_files'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_stored_chunks')),
    )


def downgrade() -> None:
    op.drop_table('stored_chunks')
    op.drop_table('stored_files')
