"""Where links point: the configured site address, else the request's; a configured one that disagrees is said."""

from __future__ import annotations

from web.config import WebSettings, disagreement, site_url


def test_links_take_the_requests_address_when_none_is_configured() -> None:
    unset = WebSettings.from_env({})
    assert site_url(unset, "http://127.0.0.1:8123/") == "http://127.0.0.1:8123"
    configured = WebSettings.from_env({"CYCLE_WEB_BASE_URL": "https://cycle.council.gov.uk/"})
    assert site_url(configured, "http://10.0.0.5:8000/") == "https://cycle.council.gov.uk"


def test_a_configured_address_on_another_local_port_is_warned_about() -> None:
    local = WebSettings.from_env({"CYCLE_WEB_BASE_URL": "http://127.0.0.1:8000"})
    warning = disagreement(local, "127.0.0.1", 8080)
    assert warning is not None and "port 8080" in warning and "port 8000" in warning
    assert disagreement(local, "127.0.0.1", 8000) is None
    assert disagreement(WebSettings.from_env({}), "127.0.0.1", 8080) is None
    public = WebSettings.from_env({"CYCLE_WEB_BASE_URL": "https://cycle.council.gov.uk"})
    assert disagreement(public, "127.0.0.1", 8080) is None, "a proxy in front: the public port differs by design"
