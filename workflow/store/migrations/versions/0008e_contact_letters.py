"""contacts and letters on the web: the key of a contact's history digests, and letters marked posted

A contact's name, email and postal address are personal data: each change to them is a history row that
keeps only keyed digests of the values, the key kept on the contact (`case_contacts.salt`). A letter for
post an officer has sent is marked posted once, in `case_letter_posts` (who, the day it went, when said).

Revision ID: 0008e_contact_letters
Revises: 0008f_retention_erasure
Create Date: 2026-12-06 16:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0008e_contact_letters'
down_revision: str | None = '0008f_retention_erasure'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table('case_contacts') as batch:
        batch.add_column(sa.Column('salt', sa.String(length=64), nullable=True))
    op.create_table(
        'case_letter_posts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('posted_on', sa.Date(), nullable=False),
        sa.Column('posted_by', sa.String(length=100), nullable=False),
        sa.Column('recorded_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['letter_id'], ['case_letters.id'],
                                name=op.f('fk_case_letter_posts_letter_id_case_letters')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_letter_posts')),
        sa.UniqueConstraint('letter_id', name=op.f('uq_case_letter_posts_letter_id')),
    )


def downgrade() -> None:
    op.drop_table('case_letter_posts')
    with op.batch_alter_table('case_contacts') as batch:
        batch.drop_column('salt')
