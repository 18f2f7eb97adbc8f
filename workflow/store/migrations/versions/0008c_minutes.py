"""minutes: the numbers given to a board's minutes, every saved version, and the approval that freezes them

All three tables are append-only, as decisions are: UPDATE and DELETE are refused (and TRUNCATE on
PostgreSQL; REPLACE over an existing id on SQLite). Once a meeting's minutes are approved, the database
refuses any further version of them, whatever the program does.

Revision ID: 0008c_minutes
Revises: 0008a_agenda_changes
Create Date: 2026-12-06 16:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0008c_minutes'
down_revision: str | None = '0008a_agenda_changes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = workflow.store.models.UTCDateTime()
TABLES = ("minute_numbers", "minutes_versions", "minutes_approvals")
REFUSAL = "the {table} table is append-only: its rows are never changed or removed"
APPROVED = "these minutes were approved and signed by the chair: they can no longer be changed"
IS_APPROVED = ("EXISTS (SELECT 1 FROM minutes_approvals a WHERE a.board = NEW.board "
               "AND a.meeting_date = NEW.meeting_date)")


def upgrade() -> None:
    op.create_table(
        'minute_numbers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('board', sa.String(length=100), nullable=False),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('minute', sa.String(length=100), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('given_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_minute_numbers')),
        sa.UniqueConstraint('board', 'number', name=op.f('uq_minute_numbers_board')),
        sa.UniqueConstraint('board', 'meeting_date', 'minute', name=op.f('uq_minute_numbers_board_meeting_date')),
    )
    op.create_table(
        'minutes_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('board', sa.String(length=100), nullable=False),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('saved_by', sa.String(length=100), nullable=False),
        sa.Column('saved_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_versions')),
        sa.UniqueConstraint('board', 'meeting_date', 'version', name=op.f('uq_minutes_versions_board')),
    )
    op.create_table(
        'minutes_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('board', sa.String(length=100), nullable=False),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('approved_on', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('chair', sa.String(length=300), nullable=False),
        sa.Column('approved_by', sa.String(length=100), nullable=False),
        sa.Column('approved_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_approvals')),
        sa.UniqueConstraint('board', 'meeting_date', name=op.f('uq_minutes_approvals_board')),
    )
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_postgresql() -> None:
    # refuse_rewrite() is the audit tables' function (0005b): it names the table in its refusal.
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")
    op.execute(
        "CREATE FUNCTION minutes_frozen() RETURNS trigger AS $$ BEGIN "
        f"IF {IS_APPROVED} THEN RAISE EXCEPTION '{APPROVED}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
    op.execute("CREATE TRIGGER minutes_versions_frozen BEFORE INSERT ON minutes_versions "
               "FOR EACH ROW EXECUTE FUNCTION minutes_frozen()")


def _upgrade_sqlite() -> None:
    for table in TABLES:
        refusal = REFUSAL.format(table=table)
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                   f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.id = NEW.id) "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
    op.execute(f"CREATE TRIGGER minutes_versions_frozen BEFORE INSERT ON minutes_versions WHEN {IS_APPROVED} "
               f"BEGIN SELECT RAISE(ABORT, '{APPROVED}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS minutes_versions_frozen ON minutes_versions")
        op.execute("DROP FUNCTION IF EXISTS minutes_frozen()")
    op.drop_table('minutes_approvals')
    op.drop_table('minutes_versions')
    op.drop_table('minute_numbers')
