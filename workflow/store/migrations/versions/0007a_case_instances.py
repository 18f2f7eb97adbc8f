"""case instances: a cycle may carry a reference (its key) in place of being its definition's one cycle a year

Yearly cycles keep their keys and stay one a definition a year: the unique (definition_id, year)
becomes a partial unique index over the rows whose reference is NULL (every existing row). A case
is unique by its key, which is its reference. The numbers of `{seq}` references are kept in
instance_sequences, one row per definition and year, taken with an atomic upsert.

On SQLite a table constraint cannot be dropped in place, and the usual rebuild (copy into a new
table, drop, rename) breaks the foreign keys of strands, history and the rest under
`foreign_keys=ON`; so the rows are copied out, the table is made again under its own name and the
rows copied back, with foreign keys deferred to the commit (by which time every parent is back).

Revision ID: 0007a_case_instances
Revises: 0006e_stored_files
Create Date: 2026-12-06 12:50:00.000000
"""
import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

revision: str = '0007a_case_instances'
down_revision: str | None = '0006e_stored_files'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

YEARLY_ONLY = "reference IS NULL"
YEARLY_INDEX = "CREATE UNIQUE INDEX uq_cycles_yearly ON cycles (definition_id, year) WHERE reference IS NULL"
OLD_UNIQUE = "CONSTRAINT uq_cycles_definition_id UNIQUE (definition_id, year), "


def upgrade() -> None:
    op.create_table(
        'instance_sequences',
        sa.Column('definition_id', sa.String(length=100), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('definition_id', 'year', name=op.f('pk_instance_sequences')),
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(_cases_table)
        op.execute(YEARLY_INDEX)
        return
    op.add_column('cycles', sa.Column('reference', sa.String(length=120), nullable=True))
    op.drop_constraint('uq_cycles_definition_id', 'cycles', type_='unique')
    op.execute(YEARLY_INDEX)


def downgrade() -> None:
    # Only while every cycle is a yearly one: a case's row has no place in the old table.
    cases = op.get_bind().execute(sa.text("SELECT count(*) FROM cycles WHERE reference IS NOT NULL")).scalar_one()
    if cases:
        # CommandError: alembic says the sentence ("FAILED: ...") and exits 1, with no traceback.
        raise CommandError(f"{cases} {'case exists' if cases == 1 else 'cases exist'}; the cycles table before "
                           "revision 0007a holds one cycle a definition a year and has no place for a case: "
                           "downgrade only with yearly cycles; nothing was changed")
    op.execute("DROP INDEX uq_cycles_yearly")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(_yearly_table)
    else:
        op.create_unique_constraint('uq_cycles_definition_id', 'cycles', ['definition_id', 'year'])
        op.drop_column('cycles', 'reference')
    op.drop_table('instance_sequences')


def _cases_table(sql: str) -> str:
    """The CREATE TABLE of 0006e's cycles with a reference column and without the unique (definition_id, year)."""
    sql = re.sub(r"\s*CONSTRAINT uq_cycles_definition_id UNIQUE \(definition_id, year\),", "", sql)
    return sql.replace("CONSTRAINT pk_cycles", "reference VARCHAR(120), CONSTRAINT pk_cycles")


def _yearly_table(sql: str) -> str:
    return (re.sub(r"reference VARCHAR\(120\),\s*", "", sql)
            .replace("CONSTRAINT uq_cycles_key", OLD_UNIQUE + "CONSTRAINT uq_cycles_key"))


def _rebuild_sqlite(new_sql: Callable[[str], str]) -> None:
    bind = op.get_bind()
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'cycles'")).scalar_one()
    created = new_sql(sql)
    if ("reference VARCHAR(120)" in created) == ("uq_cycles_definition_id" in created):
        raise RuntimeError(f"the cycles table is not as revision 0006e left it: {sql}")
    indexes = [row[0] for row in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cycles' AND sql IS NOT NULL"))]
    old_columns = [row[1] for row in bind.execute(sa.text("PRAGMA table_info(cycles)"))]
    op.execute("PRAGMA defer_foreign_keys = ON")  # until the commit: the rows' parents come back below
    op.execute("CREATE TABLE cycles_copy AS SELECT * FROM cycles")
    op.execute("DROP TABLE cycles")
    op.execute(created)
    new_columns = [row[1] for row in bind.execute(sa.text("PRAGMA table_info(cycles)"))]
    kept = ", ".join(c for c in old_columns if c in new_columns)
    op.execute(f"INSERT INTO cycles ({kept}) SELECT {kept} FROM cycles_copy")
    op.execute("DROP TABLE cycles_copy")
    for index in indexes:
        if "uq_cycles_yearly" not in index:
            op.execute(index)
