"""The layering the design asks for, checked on the imports; and the schema kept in step with the models.

The layers and the drawing are `tests/layers.py`; docs/architecture.md says what each holds.
"""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests import layers
from tests.conftest import REPO
from workflow.app import App
from workflow.store.models import Base

SUBPACKAGES = ["definition", "store", "time", "commands", "reads", "cli"]
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 280  # "about 250": the definition's flow section reader is 277


def _third_party(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert layers.cycles() == []


def test_each_layer_imports_only_the_layers_below_it() -> None:
    assert layers.upward() == []


def test_every_module_belongs_to_a_layer() -> None:
    assert {layers.unit_of(name) for name, _ in layers.modules()} - set(layers.ORDER) == set()


def test_the_drawing_in_the_architecture_doc_is_the_current_one() -> None:
    assert layers.drawn() == layers.mermaid(), "run: python -m tests.layers --write"


def test_each_subpackage_says_what_it_holds_and_what_it_may_import() -> None:
    for name in SUBPACKAGES:
        doc = ast.get_docstring(ast.parse((REPO / "workflow" / name / "__init__.py").read_text()))
        assert doc and "may import" in doc.lower(), name


def test_the_core_never_imports_celery_or_the_outer_layers() -> None:
    for path in (REPO / "workflow").rglob("*.py"):
        assert not _third_party(path) & {"celery", "kombu", "tasks", "notifications", "web"}, path


def test_only_the_web_layer_imports_the_web_service() -> None:
    for layer in ("tasks", "notifications"):
        for path in (REPO / layer).rglob("*.py"):
            assert not _third_party(path) & {"web", "fastapi", "starlette", "uvicorn"}, path


def test_the_definition_format_touches_no_database_broker_or_mail() -> None:
    forbidden = {"sqlalchemy", "alembic", "psycopg", "celery", "redis", "smtplib"}
    for path in (REPO / "workflow" / "definition").rglob("*.py"):
        assert not _third_party(path) & forbidden, path


def test_pages_call_shared_services_never_the_api_routes() -> None:
    edges = layers.graph()
    for module, targets in edges.items():
        if module.startswith("web.pages"):
            assert not {t for t in targets if t.startswith("web.api_")}, module


def test_no_module_or_class_is_too_long_to_read() -> None:
    long_modules, long_classes = [], []
    for name, path in layers.modules():
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and (node.end_lineno or 0) - node.lineno > MAX_CLASS_LINES:
                long_classes.append(f"{name}.{node.name}")
    assert long_modules == []
    assert long_classes == []


def test_migrations_describe_the_models(app: App) -> None:
    with app.database.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
