"""schemathesis against the served OpenAPI schema: no server error and no response outside the schema.

A bounded run (a few examples per operation), signed in with an officer's token, on a
cycle that exists, so generated requests reach the commands as well as the refusals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import empty_tables
from tests.integration.web.conftest import Site

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def officer(site: Site, pg_url: str) -> Iterator[dict[str, str]]:
    headers = site.token("head_of_partnerships")
    started = site.client().post("/api/v1/cycles", headers=headers,
                                 json={"definition": "community_safety_strategy", "year": 2021})
    assert started.status_code == 201, started.text
    yield headers
    while site.clients:
        site.clients.pop().close()
    empty_tables(pg_url)


def test_the_api_keeps_to_its_schema(site: Site, officer: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{site.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def keeps_to_schema(case: Any) -> None:
            case.call_and_validate(headers=officer, checks=CHECKS)

        keeps_to_schema()
