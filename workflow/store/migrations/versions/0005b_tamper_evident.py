"""tamper-evident audit trail: append-only tables and a hash chain over each cycle's history

Revision ID: 0005b
Revises: 0005
Create Date: 2026-11-28 22:10:00.000000

History, decisions (and their attendees), papers, documents and definition snapshots refuse
UPDATE, DELETE, TRUNCATE and, on SQLite, REPLACE and UPSERT over an existing id. Each history
row carries `hash`: SHA-256 over the previous row of the same cycle and this row's fields,
computed by the database as the row is inserted. `workflow/store/audit.py` recomputes the same chain
(`cycle history verify`): the field encoding here and there must stay identical.

Time comes from the server: on PostgreSQL the triggers set history.at, decisions.recorded_at and
outbox.created_at from now(), the transaction's time on the server's clock (one time for all a
command writes, so a record made for an event finds the history rows up to it), unless the database is marked a rehearsal database (a 'rehearsal' row in
database_marks, written by `cycle db upgrade --rehearsal`); every history and decision row
records whether it was written in a rehearsal.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005b'
down_revision: str | None = '0005d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("history", "decisions", "decision_attendees", "papers", "documents", "definitions", "database_marks")
HISTORY_FIELDS = ("actor", "action", "trigger", "strand", "from_state", "to_state", "comment")
DECISION_COLUMNS = ("id", "cycle_id", "board", "item", "outcome", "resolution", "meeting_date", "votes_for",
                    "votes_against", "abstentions", "voting_present", "quorum", "recorded_by", "recorded_at", "details")
REFUSAL = "the {table} table is append-only: its rows are never changed or removed"


def _field(sql: str) -> str:
    """A field as `length:text`, or '-' for NULL: no two different rows encode alike."""
    return f"coalesce(length({sql}) || ':' || {sql}, '-')"


def _link(prev: str, row: str, at: str, data: str, cycle_id: str, rehearsal: str) -> str:
    parts = [_field(prev), _field(cycle_id), _field(at)]
    parts += [_field(f"{row}.{name}") for name in HISTORY_FIELDS]
    parts += [_field(data), _field(f"(CASE WHEN {rehearsal} THEN 'rehearsal' ELSE 'live' END)")]
    return " || '|' || ".join(parts)


REHEARSAL = "EXISTS (SELECT 1 FROM database_marks WHERE name = 'rehearsal')"


def _upgrade_postgresql() -> None:
    op.execute("DROP TRIGGER IF EXISTS history_append_only ON history")
    op.execute("DROP FUNCTION IF EXISTS history_append_only()")
    op.execute(
        "CREATE FUNCTION refuse_rewrite() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'the % table is append-only: its rows are never changed or removed', TG_TABLE_NAME; "
        "END $$ LANGUAGE plpgsql"
    )
    at = "to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    body = _link("prev", "h", at, "h.data::text", "h.cycle_id::text", "h.rehearsal")
    op.execute(
        "CREATE FUNCTION history_link(prev text, h history) RETURNS text AS $$ "
        f"SELECT encode(sha256(convert_to({body}, 'UTF8')), 'hex') $$ LANGUAGE sql IMMUTABLE"
    )
    # The cycle's row lock orders concurrent writers of one cycle, so each sees the row before its own.
    op.execute(
        "CREATE FUNCTION history_chain() RETURNS trigger AS $$ DECLARE prev text; BEGIN "
        f"NEW.rehearsal := {REHEARSAL}; "
        "IF NOT NEW.rehearsal THEN NEW.at := now(); END IF; "
        "PERFORM 1 FROM cycles WHERE id = NEW.cycle_id FOR UPDATE; "
        "SELECT hash INTO prev FROM history WHERE cycle_id = NEW.cycle_id ORDER BY id DESC LIMIT 1; "
        "NEW.hash := history_link(prev, NEW); RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    bind = op.get_bind()
    for (row_id,) in bind.execute(sa.text("SELECT id FROM history ORDER BY id")):
        bind.execute(sa.text(
            "UPDATE history SET hash = history_link((SELECT p.hash FROM history p WHERE p.cycle_id = history.cycle_id "
            "AND p.id < history.id ORDER BY p.id DESC LIMIT 1), history) WHERE id = :id"), {"id": row_id})
    op.execute("CREATE TRIGGER history_chain BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION history_chain()")
    op.execute(
        "CREATE FUNCTION decision_clock() RETURNS trigger AS $$ BEGIN "
        f"NEW.rehearsal := {REHEARSAL}; "
        "IF NOT NEW.rehearsal THEN NEW.recorded_at := now(); END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    op.execute("CREATE TRIGGER decision_clock BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION decision_clock()")
    op.execute(
        "CREATE FUNCTION outbox_clock() RETURNS trigger AS $$ BEGIN "
        f"IF NOT {REHEARSAL} THEN NEW.created_at := now(); END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    op.execute("CREATE TRIGGER outbox_clock BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_clock()")
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")


def _upgrade_sqlite() -> None:
    # Needs the cycle_sha256() function workflow/store/db.py registers on every connection.
    op.execute("DROP TRIGGER IF EXISTS history_no_update")
    op.execute("DROP TRIGGER IF EXISTS history_no_delete")
    prev = ("(SELECT p.hash FROM history p WHERE p.cycle_id = {row}.cycle_id AND p.id < {row}.id "
            "ORDER BY p.id DESC LIMIT 1)")
    link = _link(prev.format(row="NEW"), "NEW", "NEW.at", "NEW.data", "CAST(NEW.cycle_id AS TEXT)", REHEARSAL)
    op.execute(f"CREATE TRIGGER history_chain AFTER INSERT ON history BEGIN "
               f"UPDATE history SET hash = cycle_sha256({link}), rehearsal = {REHEARSAL} WHERE id = NEW.id; END")
    op.execute(f"CREATE TRIGGER decision_rehearsal AFTER INSERT ON decisions WHEN {REHEARSAL} BEGIN "
               "UPDATE decisions SET rehearsal = 1 WHERE id = NEW.id; END")
    backfill = _link(prev.format(row="history"), "history", "history.at", "history.data",
                     "CAST(history.cycle_id AS TEXT)", "history.rehearsal")
    bind = op.get_bind()
    for (row_id,) in bind.execute(sa.text("SELECT id FROM history ORDER BY id")):
        bind.execute(sa.text(f"UPDATE history SET hash = cycle_sha256({backfill}) WHERE id = :id"), {"id": row_id})
    for table in APPEND_ONLY:
        refusal = REFUSAL.format(table=table)
        if table == "history":
            # The chain trigger above fills `hash` once; nothing else may be set.
            columns = ", ".join(("id", "cycle_id", "at", "data", *HISTORY_FIELDS))
            op.execute(f"CREATE TRIGGER history_no_update BEFORE UPDATE OF {columns} ON history "
                       f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
            op.execute("CREATE TRIGGER history_no_rehash BEFORE UPDATE OF hash, rehearsal ON history "
                       f"WHEN OLD.hash IS NOT NULL BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        elif table == "decisions":
            # The rehearsal trigger above marks a new decision once, and only in a rehearsal database.
            columns = ", ".join(DECISION_COLUMNS)
            op.execute(f"CREATE TRIGGER decisions_no_update BEFORE UPDATE OF {columns} ON decisions "
                       f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
            op.execute("CREATE TRIGGER decisions_no_remark BEFORE UPDATE OF rehearsal ON decisions "
                       f"WHEN OLD.rehearsal OR NOT {REHEARSAL} BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        else:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        # REPLACE deletes the old row without firing delete triggers (unless recursive_triggers is on),
        # and an UPSERT is an insert first: refuse any insert that names an id already taken.
        key = {"definitions": "id, version", "database_marks": "name"}.get(table, "id")
        match = " AND ".join(f"t.{c} = NEW.{c}" for c in key.split(", "))
        op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                   f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE {match}) "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")


def upgrade() -> None:
    op.create_table('database_marks',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_database_marks'))
    )
    op.add_column('history', sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_index('ix_history_chain', 'history', ['cycle_id', 'id'], unique=False)
    op.add_column('history', sa.Column('rehearsal', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('decisions', sa.Column('rehearsal', sa.Boolean(), server_default=sa.false(), nullable=False))
    # A definition version is everything it renders with: its templates are stored with its text.
    op.add_column('definitions', sa.Column('templates', sa.JSON(), server_default='{}', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS history_chain ON history")
        op.execute("DROP FUNCTION IF EXISTS history_chain()")
        op.execute("DROP TRIGGER IF EXISTS decision_clock ON decisions")
        op.execute("DROP FUNCTION IF EXISTS decision_clock()")
        op.execute("DROP TRIGGER IF EXISTS outbox_clock ON outbox")
        op.execute("DROP FUNCTION IF EXISTS outbox_clock()")
        op.execute("DROP FUNCTION IF EXISTS history_link(text, history)")
        op.execute("DROP FUNCTION IF EXISTS refuse_rewrite()")
        op.drop_index('ix_history_chain', table_name='history')
        op.execute("ALTER TABLE history DROP COLUMN hash")
        op.execute("ALTER TABLE history DROP COLUMN rehearsal")
        op.execute("ALTER TABLE decisions DROP COLUMN rehearsal")
        op.execute("ALTER TABLE definitions DROP COLUMN templates")
        op.drop_table('database_marks')
        op.execute("CREATE FUNCTION history_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'the history is append-only'; END $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
                   "FOR EACH ROW EXECUTE FUNCTION history_append_only()")
        return
    for table in APPEND_ONLY:
        for suffix in ("no_update", "no_delete", "no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
    op.execute("DROP TRIGGER IF EXISTS history_no_rehash")
    op.execute("DROP TRIGGER IF EXISTS decisions_no_remark")
    op.execute("DROP TRIGGER IF EXISTS decision_rehearsal")
    op.execute("DROP TRIGGER IF EXISTS history_chain")
    op.drop_index('ix_history_chain', table_name='history')
    op.execute("ALTER TABLE history DROP COLUMN hash")
    op.execute("ALTER TABLE history DROP COLUMN rehearsal")
    op.execute("ALTER TABLE decisions DROP COLUMN rehearsal")
    op.execute("ALTER TABLE definitions DROP COLUMN templates")
    op.drop_table('database_marks')
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history "
                   "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END")
