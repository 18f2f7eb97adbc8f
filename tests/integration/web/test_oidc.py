"""OpenID Connect sign-in against a real OpenID provider (oidc-provider-mock) on loopback."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from oidc_provider_mock import User, run_server_in_thread

from tests.conftest import make_settings
from tests.integration.web.conftest import Site, free_port, serve, web_settings
from web.app import create_app

# The provider (not our code) calls an Authlib interface that Authlib has deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


@contextmanager
def provider_site(web: Site, pg_url: str, tmp_path: Path, users: Sequence[User],
                  **extra: str) -> Iterator[tuple[Site, str]]:
    """A second process of the service, with OpenID Connect sign-in at a provider that knows `users`, beside
    `web` on the same database; yields it and the provider's issuer URL."""
    with run_server_in_thread(user_claims=users) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = web_settings(url, oidc_issuer=issuer, oidc_client_id="strategy-cycle",
                                oidc_client_secret="client-secret", secret="a signing key for the tests", **extra)
        app = create_app(make_settings(tmp_path, pg_url), web=settings, clock=web.clock)
        with serve(app, port):
            site = Site(url, app, web.clock)
            yield site, issuer
            while site.clients:
                site.clients.pop().close()


@pytest.fixture
def oidc_site(web: Site, pg_url: str, tmp_path: Path) -> Iterator[tuple[Site, str]]:
    officer = web.email("head_of_partnerships")
    users = [User(sub="officer", claims={"email": officer, "email_verified": True}),
             User(sub="unverified", claims={"email": officer, "email_verified": False}),
             User(sub="stranger", claims={"email": "stranger@example.org", "email_verified": True})]
    with provider_site(web, pg_url, tmp_path, users) as (site, _issuer):
        yield site, officer


def sign_in_as(site: Site, sub: str, next_path: str | None = None) -> tuple[httpx.Client, httpx.Response]:
    client = site.client()
    to_provider = client.get("/auth/oidc/login", params={"next": next_path} if next_path is not None else None)
    assert to_provider.status_code == 302, to_provider.text
    # The provider's sign-in form: choose the user, as a person would.
    back = httpx.post(to_provider.headers["location"], data={"sub": sub})
    assert back.status_code == 302, back.text
    assert back.headers["location"].startswith(f"{site.url}/auth/oidc/callback?")
    return client, client.get(back.headers["location"])


def test_a_person_signs_in_with_openid_connect_by_verified_email(oidc_site: tuple[Site, str]) -> None:
    site, officer = oidc_site
    site.account("head_of_partnerships")
    client, done = sign_in_as(site, "officer")
    assert done.status_code == 303, done.text
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == officer
    assert [p["person"] for p in me.json()["people"]] == ["head_of_partnerships"]


def test_an_unverified_or_unknown_email_does_not_sign_in(oidc_site: tuple[Site, str]) -> None:
    site, _officer = oidc_site
    site.account("head_of_partnerships")
    for sub, sentence in (("unverified", "says your email address is not verified"),
                          ("stranger", "has no account here")):
        client, done = sign_in_as(site, sub)
        assert done.status_code == 401
        assert sentence in done.json()["detail"]
        assert "cycle_session" not in client.cookies


def test_an_email_link_followed_through_openid_connect_sign_in_lands_on_its_page_and_never_elsewhere(
        oidc_site: tuple[Site, str]) -> None:
    site, _officer = oidc_site
    site.account("head_of_partnerships")
    linked = "/cycles/community_safety_strategy-2021/papers/new?paper=strategic_assessment"
    _client, done = sign_in_as(site, "officer", linked)
    assert done.status_code == 303 and done.headers["location"] == linked
    for elsewhere in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        _client, done = sign_in_as(site, "officer", elsewhere)
        assert done.status_code == 303 and done.headers["location"] == "/", elsewhere
