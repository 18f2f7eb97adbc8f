"""list indexes: the meetings moved of every running cycle, and the email not sent, without reading whole tables

The lists of cycles (Cycles, My work, My boards) read the meetings a committee manager moved for all
running cycles at once: a few 'meeting' rows among every fire in `history`, which grows with each
command. Operations lists the email not sent among years of sent email. Both were sequential or
per-cycle scans of the whole table; each now reads a partial index of the few rows it wants.

Revision ID: 0007e_list_indexes
Revises: 0007p_history_link_stable
Create Date: 2026-12-06 13:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007e_list_indexes'
down_revision: str | None = '0007p_history_link_stable'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_history_meeting_changes', 'history', ['cycle_id', 'id'], unique=False,
                    postgresql_where=sa.text("action = 'meeting'"), sqlite_where=sa.text("action = 'meeting'"))
    op.create_index('ix_mail_unsent', 'mail', ['next_attempt_at'], unique=False,
                    postgresql_where=sa.text("status <> 'sent'"), sqlite_where=sa.text("status <> 'sent'"))


def downgrade() -> None:
    op.drop_index('ix_mail_unsent', table_name='mail')
    op.drop_index('ix_history_meeting_changes', table_name='history')
