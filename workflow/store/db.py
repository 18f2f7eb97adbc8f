"""Database connections and schema migrations (Alembic)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from workflow.errors import CycleError

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(CycleError):
    """The database schema is behind this version of strategy-cycle."""


def normalise_url(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgresql:// URLs would ask for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, lock_wait: float | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`; on PostgreSQL its transactions wait at most `lock_wait` seconds for a row lock
    (None: as long as it takes, for the operator's schema commands and the scheduler's lock)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    # Connections are recycled before servers and firewalls drop idle ones; a pooled connection in doubt
    # is tested before use (`ping_when_in_doubt`), so the first command or scrape after a database restart
    # gets a fresh connection instead of failing on a dead one.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    from .reachability import ping_when_in_doubt, watch

    if not kwargs.get("pool_pre_ping"):
        ping_when_in_doubt(engine)
    watch(engine)
    if lock_wait is not None:
        _bound_lock_waits(engine, lock_wait)
    return engine


LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's SQLSTATE when `lock_timeout` (or NOWAIT) gives up on a lock another transaction holds."""


def _bound_lock_waits(engine: Engine, seconds: float) -> None:
    milliseconds = max(1, round(seconds * 1000))

    # A SET once per new connection, not the startup packet's `options=-c lock_timeout=...`: PgBouncer refuses
    # a connection whose startup carries `options`, and a pooled connection keeps the setting for its life.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {milliseconds}")
        dbapi_connection.commit()


def waited_too_long(error: BaseException) -> bool:
    """Whether `error` (SQLAlchemy's, or the driver's) is PostgreSQL giving up on a lock after `lock_wait`."""
    cause = getattr(error, "orig", None) or error
    return getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # REPLACE then fires the delete triggers that keep the audit tables append-only.
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.close()
        # The history's hash chain is computed by a trigger (migration 0005b) with this function.
        dbapi_connection.create_function("cycle_sha256", 1, _sha256_hex, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A command reads then writes; IMMEDIATE takes the write lock up front so two
        # commands queue instead of one failing on a stale snapshot. Reads stay deferred.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sha256_hex(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


WRITE_OPTION = "cycle_write"
"""Execution option marking a transaction that will write (SQLite takes its lock up front)."""


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://")))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Upgrade the embedded database on first use; ask for `cycle db upgrade` elsewhere."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if auto_upgrade:
        upgrade(engine)
        return
    state = "has no tables yet" if current is None else f"is at revision {current}"
    raise SchemaOutOfDate(f"the database {state}; run 'cycle db upgrade' to bring it up to date")


APPEND_ONLY = ("history", "decisions", "decision_attendees", "papers", "documents", "definitions", "minute_numbers",
               "minutes_versions", "minutes_approvals", "agenda_changes", "case_letter_posts")
"""The audit tables (and the minutes, the agendas' changes and letters marked posted, kept the same way): the
application may only read and add to them."""
READ_ONLY = ("alembic_version", "database_marks")
"""Written by the owner only: the schema's revision, and whether this is a rehearsal database."""


class NotARehearsal(CycleError):
    """A simulated clock was asked of a database that records live time."""


def is_rehearsal(engine: Engine) -> bool:
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text("SELECT 1 FROM database_marks WHERE name = 'rehearsal'")).first() is not None


def mark_rehearsal(engine: Engine) -> None:
    """Mark the database as a rehearsal's: simulated clocks are allowed, and every audit row says so.

    Only an empty database (or one already marked) can be marked: live history stays live.
    """
    from sqlalchemy import text

    if is_rehearsal(engine):
        return
    with engine.begin() as connection:
        if connection.execute(text("SELECT 1 FROM history LIMIT 1")).first() is not None:
            raise NotARehearsal("this database already holds a live history; a rehearsal needs a database of its own "
                                "(create an empty one and run 'cycle db upgrade --rehearsal' on it)")
        connection.execute(text("INSERT INTO database_marks (name, value) VALUES ('rehearsal', 'yes')"))


def require_rehearsal(engine: Engine, what: str) -> None:
    """Refuse simulated time on a PostgreSQL database that records live time."""
    if engine.dialect.name == "postgresql" and not is_rehearsal(engine):
        raise NotARehearsal(
            f"{what} is for rehearsals, and this database records live time from its own clock; use a database "
            "made with 'cycle db upgrade --rehearsal', or unset CYCLE_CLOCK and CYCLE_NOW")


def grant_app_role(engine: Engine, role: str) -> None:
    """Let `role` run strategy-cycle on this PostgreSQL database, as a role that owns no table.

    It may SELECT and INSERT on the audit tables, and read and write the working tables; it
    cannot TRUNCATE, ALTER or drop anything, disable the triggers that keep the audit append-only,
    or mark the database a rehearsal's (which would let it choose the time).
    Run by the tables' owner (who runs `cycle db upgrade`), after each upgrade.
    """
    if engine.dialect.name != "postgresql":
        raise CycleError("'cycle db grant' is for PostgreSQL; the embedded database is one file, protected "
                         "by its permissions")
    from sqlalchemy import inspect, text

    with engine.begin() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise CycleError(f"there is no PostgreSQL role '{role}'; create it first (CREATE ROLE ... LOGIN)")
        owner = connection.execute(text("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
                                        "AND tableowner = :r"), {"r": role}).first()
        if owner is not None:
            raise CycleError(f"'{role}' owns tables of this database; the application must run as a role that "
                             "owns none, so that it cannot disable the audit triggers")
        quoted = connection.dialect.identifier_preparer.quote(role)
        tables = inspect(connection).get_table_names()
        connection.execute(text(f"GRANT USAGE ON SCHEMA {connection.dialect.default_schema_name} TO {quoted}"))
        for table in tables:
            connection.execute(text(f"REVOKE ALL ON {table} FROM {quoted}"))
            rights = ("SELECT, INSERT" if table in APPEND_ONLY else
                      "SELECT" if table in READ_ONLY else "SELECT, INSERT, UPDATE, DELETE")
            connection.execute(text(f"GRANT {rights} ON {table} TO {quoted}"))
        connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "
                                f"{connection.dialect.default_schema_name} TO {quoted}"))
