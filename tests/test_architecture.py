"""The layering the design asks for, and the schema kept in step with the models."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.conftest import REPO
from workflow.app import App
from workflow.store.models import Base

PURE = ["model", "loader", "calendar", "machine", "gates", "yamlfile", "templating", "diagram", "entitlement"]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add("." + node.module.split(".")[0])
    return found


def test_the_core_never_imports_celery_or_the_outer_layers() -> None:
    for path in (REPO / "workflow").rglob("*.py"):
        assert not _imports(path) & {"celery", "kombu", "tasks", "notifications", "web"}, path


def test_only_the_web_layer_imports_the_web_service() -> None:
    for layer in ("tasks", "notifications"):
        for path in (REPO / layer).rglob("*.py"):
            assert not _imports(path) & {"web", "fastapi", "starlette", "uvicorn"}, path


def test_the_pure_core_touches_no_database_broker_or_clock() -> None:
    forbidden = {"sqlalchemy", "alembic", "psycopg", "celery", "redis", "smtplib", ".clock", ".db", ".models", ".engine"}
    for name in PURE:
        assert not _imports(REPO / "workflow" / "definition" / f"{name}.py") & forbidden, name


def test_migrations_describe_the_models(app: App) -> None:
    with app.database.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
