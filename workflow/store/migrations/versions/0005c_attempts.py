"""failures, last error and next try of deadlines and events; heartbeats of workers and schedulers

Revision ID: 0005c
Revises: 0005
Create Date: 2026-11-28 21:50:00.000000

A deadline or event whose work raised is tried again with backoff and, after a
bound, marked failed for an officer; one such item no longer holds up the rest.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0005c'
down_revision: str | None = '0005b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True))
    op.create_table('heartbeats',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('beat_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('heartbeats')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('failures')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('failures')
