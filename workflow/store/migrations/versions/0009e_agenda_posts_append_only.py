"""agenda changes and letters marked posted are append-only, as the other audit tables are

`agenda_changes` (each item added, moved or withdrawn, and each issue, with its `late` mark) and
`case_letter_posts` (who said a letter to a family went, and on which day) were append-only in the code
only: anyone able to write the database could delete or back-date an issue, undo a withdrawal, drop an
added item's exempt paragraph (putting it in the public pack) or rewrite when a letter was posted. Now
the database refuses UPDATE, DELETE and TRUNCATE on PostgreSQL (for the owner too, with
`refuse_rewrite()` from 0005b), and UPDATE, DELETE, REPLACE and UPSERT over an existing id on SQLite.

Neither table holds a value retention must erase: an agenda change names items, their titles and the
manager; a post names the letter, the day and the officer, never the contact or the letter's subject
(those are in `case_contacts` and `case_letters`, which `cycle retention run` empties and which stay
writable). So, unlike `history` and `decisions`, no column is left open to any UPDATE.

On a live PostgreSQL database (not a rehearsal's) the time of each row comes from the server's clock, as
history's and decisions' do (0005b): `agenda_changes.at` and `case_letter_posts.recorded_at` are set to
now() whatever the client sends, so a row cannot be inserted back-dated either.

Revision ID: 0009e_agenda_posts_append_only
Revises: 0009d_history_chain_lock
Create Date: 2026-12-06 23:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0009e_agenda_posts_append_only'
down_revision: str | None = '0009d_history_chain_lock'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("agenda_changes", "case_letter_posts")
CLOCKS = {"agenda_changes": "at", "case_letter_posts": "recorded_at"}
"""The column of each table that says when the row was written."""
REHEARSAL = "EXISTS (SELECT 1 FROM database_marks WHERE name = 'rehearsal')"
REFUSAL = "the {table} table is append-only: its rows are never changed or removed"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")
            op.execute(f"CREATE FUNCTION {table}_clock() RETURNS trigger AS $$ BEGIN "
                       f"IF NOT {REHEARSAL} THEN NEW.{CLOCKS[table]} := now(); END IF; RETURN NEW; END $$ "
                       "LANGUAGE plpgsql")
            op.execute(f"CREATE TRIGGER {table}_clock BEFORE INSERT ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_clock()")
        return
    for table in TABLES:
        refusal = REFUSAL.format(table=table)
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
        # REPLACE deletes the old row without firing delete triggers (unless recursive_triggers is on),
        # and an UPSERT is an insert first: refuse any insert that names an id already taken.
        op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                   f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.id = NEW.id) "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_clock ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_clock()")
        return
    for table in TABLES:
        for suffix in ("no_update", "no_delete", "no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
