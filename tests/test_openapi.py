"""docs/openapi.json is the schema the service serves."""

from __future__ import annotations

from web.openapi import COMMITTED, text


def test_the_committed_openapi_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == text(), (
        "docs/openapi.json is out of date: run '.venv/bin/python -m web.openapi' and commit it")
