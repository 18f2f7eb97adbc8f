"""Where sign-in sends a person back to: only a path on this site (no open redirect)."""

from __future__ import annotations

import pytest

from web.next_path import local_path


@pytest.mark.parametrize("target", [
    "/my-work",
    "/papers/12",
    "/cycles/community_safety_strategy-2021/papers/new?paper=strategic_assessment",
    "/cycles/community_safety_strategy-2021/decisions/new?board=risk_board&item=strategic_assessment",
    "/cycles/community_safety_strategy-2021/documents",
    "/%2F%2Fevil.example",  # encoded slashes are a path on this site, not a host
])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert local_path(target) == target


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "http://evil.example/my-work",
    "//evil.example",
    "//evil.example/my-work",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ /evil.example",
    "javascript:alert(1)",
    "my-work",
    "",
    None,
    "/" + "a" * 3000,
])
def test_anything_else_goes_home(target: str | None) -> None:
    assert local_path(target) == "/"
