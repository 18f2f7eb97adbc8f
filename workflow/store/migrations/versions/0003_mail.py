"""mail and reminder schedules

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:56:23.194438
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mail',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('person', sa.String(length=100), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('dated', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_mail_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail')),
    sa.UniqueConstraint('key', name=op.f('uq_mail_key'))
    )
    with op.batch_alter_table('mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('ix_mail_due', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'retrying')"), sqlite_where=sa.text("status IN ('pending', 'retrying')"))

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), server_default='{}', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('data')

    with op.batch_alter_table('mail', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_due', postgresql_where=sa.text("status IN ('pending', 'retrying')"), sqlite_where=sa.text("status IN ('pending', 'retrying')"))
        batch_op.drop_index(batch_op.f('ix_mail_cycle_id'))

    op.drop_table('mail')
