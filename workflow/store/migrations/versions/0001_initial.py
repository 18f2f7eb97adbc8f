"""cycles, strands, history, outbox, decisions, papers

Revision ID: 0001
Revises:
Create Date: 2026-11-22 18:36:19.769104
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.store.models

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('definition_id', sa.String(length=100), nullable=False),
    sa.Column('definition_version', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('state_entered_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycles')),
    sa.UniqueConstraint('definition_id', 'year', name=op.f('uq_cycles_definition_id')),
    sa.UniqueConstraint('key', name=op.f('uq_cycles_key'))
    )
    op.create_table('definitions',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('registered_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', 'version', name=op.f('pk_definitions'))
    )
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('board', sa.String(length=100), nullable=False),
    sa.Column('item', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('votes_for', sa.Integer(), nullable=False),
    sa.Column('votes_against', sa.Integer(), nullable=False),
    sa.Column('abstentions', sa.Integer(), nullable=False),
    sa.Column('voting_present', sa.Integer(), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_decisions_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=100), nullable=True),
    sa.Column('strand', sa.String(length=100), nullable=True),
    sa.Column('from_state', sa.String(length=100), nullable=True),
    sa.Column('to_state', sa.String(length=100), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_history_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_history_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=50), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', workflow.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_outbox_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('ix_outbox_pending', ['id'], unique=False, postgresql_where=sa.text('dispatched_at IS NULL'), sqlite_where=sa.text('dispatched_at IS NULL'))

    op.create_table('papers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('paper', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('exempt_reason', sa.String(length=300), nullable=True),
    sa.Column('attached_by', sa.String(length=100), nullable=False),
    sa.Column('attached_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_papers_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_papers'))
    )
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_papers_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('strands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=100), nullable=False),
    sa.Column('strand', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=100), nullable=False),
    sa.Column('updated_at', workflow.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_strands_cycle_id_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strands')),
    sa.UniqueConstraint('cycle_id', 'strand', name=op.f('uq_strands_cycle_id'))
    )
    with op.batch_alter_table('strands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strands_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('decision_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('person', sa.String(length=100), nullable=False),
    sa.Column('membership', sa.String(length=20), nullable=False),
    sa.Column('attendance', sa.String(length=20), nullable=False),
    sa.Column('vote', sa.String(length=10), nullable=True),
    sa.Column('interest', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_decision_attendees_decision_id_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_attendees'))
    )
    with op.batch_alter_table('decision_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_attendees_decision_id'), ['decision_id'], unique=False)


    # The history is the audit trail: the database itself refuses to rewrite it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION history_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'the history is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
            "FOR EACH ROW EXECUTE FUNCTION history_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history "
                "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS history_append_only ON history")
        op.execute("DROP FUNCTION IF EXISTS history_append_only()")
    with op.batch_alter_table('decision_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_attendees_decision_id'))

    op.drop_table('decision_attendees')
    with op.batch_alter_table('strands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strands_cycle_id'))

    op.drop_table('strands')
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_papers_cycle_id'))

    op.drop_table('papers')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending', postgresql_where=sa.text('dispatched_at IS NULL'), sqlite_where=sa.text('dispatched_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_outbox_cycle_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_cycle_id'))

    op.drop_table('history')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_cycle_id'))

    op.drop_table('decisions')
    op.drop_table('definitions')
    op.drop_table('cycles')
