"""A one-time password link's token never reaches the access log of `cycle web`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.integration.web.test_migrated_entitlement import running, web_process  # noqa: F401 (fixtures)

SECRET = "Zq9-one-time-secret-41f7"


def test_the_token_of_a_password_link_is_masked_in_the_access_log(web_process: str, tmp_path: Path) -> None:  # noqa: F811
    response = httpx.get(f"{web_process}/auth/set-password?token={SECRET}&next=%2F", timeout=10)
    assert response.status_code < 500
    log = tmp_path / "web.log"
    deadline = time.monotonic() + 10
    while "/auth/set-password" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    written = log.read_text()
    assert "GET /auth/set-password?token=[masked]&next=%2F" in written, written
    assert SECRET not in written
