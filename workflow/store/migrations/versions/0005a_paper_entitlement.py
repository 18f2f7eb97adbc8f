"""papers.stage: the stage a paper was attached for, which decides who may see it if exempt

Revision ID: 0005a
Revises: 0005
Create Date: 2026-11-28 22:20:00.000000

Papers attached before this revision get the stage the cycle was at when the history
recorded their attachment, which is what attach records from now on.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005a'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=100), nullable=True))
    connection = op.get_bind()
    history = sa.table('history', sa.column('action', sa.String), sa.column('from_state', sa.String),
                       sa.column('data', sa.JSON))
    papers = sa.table('papers', sa.column('id', sa.Integer), sa.column('stage', sa.String))
    for from_state, data in connection.execute(sa.select(history.c.from_state, history.c.data)
                                               .where(history.c.action == 'attach')):
        paper_id = (data or {}).get('paper_id')
        if paper_id is not None and from_state:
            connection.execute(sa.update(papers).where(papers.c.id == paper_id).values(stage=from_state))


def downgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_column('stage')
