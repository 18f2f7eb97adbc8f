"""retention erasure: what was made from a case's personal values is erased with them

After a case's retention period `cycle retention run` empties, besides its personal fields, the
outside contacts' names and addresses, the letters to them (subjects and PDFs), the subjects and
bodies of the emails written with personal values, and the stored files of the documents' exempt
versions. Each contact, letter and email row stays for the record with the time it was erased
(`erased_at`); a destroyed file keeps a tombstone of its SHA-256 (`erased_files`), since the
`documents` rows that name it are append-only.

Revision ID: 0008f_retention_erasure
Revises: 0008c_minutes
Create Date: 2026-12-06 16:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0008f_retention_erasure'
down_revision: str | None = '0008c_minutes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()
TABLES = ('case_contacts', 'case_letters', 'mail')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('erased_at', UTC, nullable=True))
    op.create_table(
        'erased_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('erased_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_erased_files_cycle_id_cycles')),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_erased_files')),
    )
    op.create_index(op.f('ix_erased_files_cycle_id'), 'erased_files', ['cycle_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_erased_files_cycle_id'), table_name='erased_files')
    op.drop_table('erased_files')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('erased_at')
