"""Sign-in with ID tokens shaped as Microsoft Entra ID, Google Workspace and Keycloak send them, at a real
OpenID provider (oidc-provider-mock) on loopback: who gets in, who is refused, and what an account is
linked to after its first sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from oidc_provider_mock import User

from tests.integration.web.conftest import Site
from tests.integration.web.test_oidc import provider_site, sign_in_as

pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

TENANT = "5b0a1c9e-2f8d-4c3b-9a71-0e6d4f2b8c13"
OTHER_TENANT = "9e3c7a51-6b2d-4f80-8c1e-3a5d7b9f0e24"


def entra(email: str, oid: str, *, tenant: str = TENANT, **extra: object) -> dict[str, object]:
    """The claims of an Entra ID v2.0 ID token for a work account, with the optional claims `email` and
    `xms_edov` added in the app registration's token configuration: no `email_verified`, ever."""
    return {"tid": tenant, "oid": oid, "preferred_username": email, "email": email, "name": "A. Officer",
            "ver": "2.0", "aio": "AWQAm/8TAAAA", "rh": "0.AAAA", "uti": "x1y2z3", "xms_edov": True, **extra}


def google(email: str) -> dict[str, object]:
    """Google Workspace: `hd` names the Workspace domain; `email_verified` is always sent."""
    return {"email": email, "email_verified": True, "hd": email.partition("@")[2], "name": "A. Officer",
            "given_name": "A.", "family_name": "Officer", "azp": "strategy-cycle"}


def keycloak(email: str, *, verified: bool = True) -> dict[str, object]:
    """Keycloak's default client scopes: `email_verified` as the realm has it, `preferred_username`, `sid`."""
    return {"email": email, "email_verified": verified, "preferred_username": email.partition("@")[0],
            "name": "A. Officer", "typ": "ID", "azp": "strategy-cycle", "sid": "6f0c1e8a", "acr": "1"}


@pytest.fixture
def entra_site(web: Site, pg_url: str, tmp_path: Path) -> Iterator[tuple[Site, str, str]]:
    officer = web.email("head_of_partnerships")
    users = [User(sub="pairwise-1", claims=entra(officer, "oid-officer")),
             User(sub="pairwise-2", claims=entra(officer, "oid-impostor")),
             User(sub="pairwise-3", claims=entra(officer, "oid-elsewhere", tenant=OTHER_TENANT)),
             User(sub="pairwise-4", claims=entra(officer, "oid-unverified", xms_edov=False)),
             User(sub="pairwise-5", claims={k: v for k, v in entra(officer, "oid-silent").items() if k != "xms_edov"}),
             User(sub="pairwise-6", claims=entra(officer, "oid-false", email_verified=False))]
    with provider_site(web, pg_url, tmp_path, users, oidc_tenant=TENANT) as (site, issuer):
        yield site, officer, issuer


def signed_in_as(site: Site, sub: str) -> str:
    client, done = sign_in_as(site, sub)
    assert done.status_code == 303, done.text
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return str(me.json()["email"])


def refused(site: Site, sub: str) -> str:
    client, done = sign_in_as(site, sub)
    assert done.status_code == 401, done.text
    assert "cycle_session" not in client.cookies
    return str(done.json()["detail"])


def test_an_entra_work_account_signs_in_and_is_known_by_tenant_and_object_id_after(
        entra_site: tuple[Site, str, str]) -> None:
    site, officer, issuer = entra_site
    site.account("head_of_partnerships")
    assert signed_in_as(site, "pairwise-1") == officer
    # The directory renames the person: the token's email changes, their account is still theirs.
    renamed = httpx.put(f"{issuer}/users/pairwise-1", json=entra("a.officer@elsewhere.example", "oid-officer"))
    assert renamed.status_code == 204
    assert signed_in_as(site, "pairwise-1") == officer
    # Another account of the same tenant that claims the officer's email does not get the officer's account.
    assert "belongs to another" in refused(site, "pairwise-2")


def test_entra_tokens_of_another_tenant_or_without_a_vouched_email_are_refused(
        entra_site: tuple[Site, str, str]) -> None:
    site, _officer, _issuer = entra_site
    site.account("head_of_partnerships")
    assert "another organisation" in refused(site, "pairwise-3")
    assert "did not give a verified email" in refused(site, "pairwise-4")  # xms_edov: false
    assert "did not give a verified email" in refused(site, "pairwise-5")  # neither claim
    assert "not verified" in refused(site, "pairwise-6")  # an explicit email_verified: false
    assert signed_in_as(site, "pairwise-1")  # the officer still links, nobody else did


def test_an_operator_unlinks_an_account_whose_provider_account_was_replaced(
        entra_site: tuple[Site, str, str]) -> None:
    from web.oidc_identity import unlink

    site, officer, _issuer = entra_site
    site.account("head_of_partnerships")
    assert signed_in_as(site, "pairwise-1") == officer
    assert "belongs to another" in refused(site, "pairwise-2")
    assert unlink(site.engine, officer) is True
    assert signed_in_as(site, "pairwise-2") == officer
    assert "belongs to another" in refused(site, "pairwise-1")


@pytest.fixture
def workspace_site(web: Site, pg_url: str, tmp_path: Path) -> Iterator[tuple[Site, str, str]]:
    officer = web.email("head_of_partnerships")
    users = [User(sub="108234567890123456789", claims=google(officer)),
             User(sub="f81d4fae-7dec-11d0-a765-00a0c91e6bf6", claims=keycloak(officer)),
             User(sub="0f3c9a7e-unverified", claims=keycloak(officer, verified=False)),
             # An Entra-shaped token from a provider not configured as Entra (no tenant pinned).
             User(sub="entra-shaped", claims=entra(officer, "oid-officer")),
             # A token whose issuer is not the configured provider's.
             User(sub="forged-issuer", claims={**keycloak(officer), "iss": "https://sso.elsewhere.example"})]
    with provider_site(web, pg_url, tmp_path, users) as (site, issuer):
        yield site, officer, issuer


def test_google_workspace_signs_in_and_a_second_subject_with_the_same_email_is_refused(
        workspace_site: tuple[Site, str, str]) -> None:
    site, officer, issuer = workspace_site
    site.account("head_of_partnerships")
    assert signed_in_as(site, "108234567890123456789") == officer
    assert httpx.put(f"{issuer}/users/108234567890123456789", json=google("renamed@example.org")).status_code == 204
    assert signed_in_as(site, "108234567890123456789") == officer
    assert "belongs to another" in refused(site, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6")


def test_keycloak_signs_in_by_verified_email_and_refuses_an_unverified_one(
        workspace_site: tuple[Site, str, str]) -> None:
    site, officer, _issuer = workspace_site
    site.account("head_of_partnerships")
    assert "not verified" in refused(site, "0f3c9a7e-unverified")
    assert "did not complete" in refused(site, "forged-issuer")
    # xms_edov vouches for an email only from the pinned Entra tenant, and this provider is not one.
    assert "did not give a verified email" in refused(site, "entra-shaped")
    assert signed_in_as(site, "f81d4fae-7dec-11d0-a765-00a0c91e6bf6") == officer
