"""mail settles itself: the phase a sending row reached, and the restarts of workers' consumers

`mail.phase` says whether the SMTP DATA command had begun for the row being sent
('data') or not ('connecting'), so an expired lease knows whether the message may
have left. `worker_restarts` records each time `cycle worker` restarted a consumer
that died, for `cycle health`.

Revision ID: 0006a_mail_settle
Revises: 0005f
Create Date: 2026-12-06 06:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0006a_mail_settle'
down_revision: str | None = '0005f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table('mail') as batch:
        batch.add_column(sa.Column('phase', sa.String(length=20), nullable=True))
    op.create_table(
        'worker_restarts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('exit_code', sa.Integer(), nullable=False),
        sa.Column('restarted_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_restarts')),
    )
    op.create_index(op.f('ix_worker_restarts_restarted_at'), 'worker_restarts', ['restarted_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_worker_restarts_restarted_at'), table_name='worker_restarts')
    op.drop_table('worker_restarts')
    with op.batch_alter_table('mail') as batch:
        batch.drop_column('phase')
