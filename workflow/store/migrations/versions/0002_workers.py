"""deadlines, effects, shared clock, outbox delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:44:27.965995
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('effects',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_effects'))
    )
    op.create_table('simulated_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('now', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_simulated_clock'))
    )
    op.create_table('deadlines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=100), nullable=False),
    sa.Column('strand', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('trigger', sa.String(length=100), nullable=True),
    sa.Column('entry', sa.BigInteger(), nullable=False),
    sa.Column('due_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_deadlines_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('key', name=op.f('uq_deadlines_key'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('ix_deadlines_due', ['due_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    # Pending now means "not yet handled": a dispatched event whose task was lost is sent again.
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.create_index('ix_outbox_pending', 'outbox', ['id'], postgresql_where=sa.text('handled_at IS NULL'),
                    sqlite_where=sa.text('handled_at IS NULL'))

def downgrade() -> None:
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.create_index('ix_outbox_pending', 'outbox', ['id'], postgresql_where=sa.text('dispatched_at IS NULL'),
                    sqlite_where=sa.text('dispatched_at IS NULL'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('handled_at')

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_due', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_deadlines_cycle_id'))

    op.drop_table('deadlines')
    op.drop_table('simulated_clock')
    op.drop_table('effects')
