"""Storage: the tables (`models`), connections and migrations, the outbox, the audit chain, papers.

Holds what is written and read back: SQLAlchemy models and Alembic migrations, the definition
catalog (snapshots), content-addressed paper and document files, the outbox relay and handlers,
counts of fires and refusals, and the unit of work a command runs in (`unit`). May import
`workflow.definition.model` and `workflow.errors`; never time, commands, reads or the outer layers.
"""
