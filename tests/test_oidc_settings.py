"""CYCLE_OIDC_ISSUER pins the council's tenant when the provider is Microsoft Entra ID; `cycle users unlink`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from tests.conftest import DEFINITIONS
from web.cli import main
from web.config import WebSettings
from workflow.errors import ConfigurationError

TENANT = "5b0a1c9e-2f8d-4c3b-9a71-0e6d4f2b8c13"
OFFICER = "head.partnerships@example.org"


def settings(**env: str) -> WebSettings:
    return WebSettings.from_env({"CYCLE_OIDC_CLIENT_ID": "strategy-cycle", **env})


def test_an_entra_issuer_gives_the_tenant_that_tokens_must_carry() -> None:
    web = settings(CYCLE_OIDC_ISSUER=f"https://login.microsoftonline.com/{TENANT.upper()}/v2.0/")
    assert web.oidc_issuer == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert web.oidc_tenant == TENANT
    assert settings(CYCLE_OIDC_ISSUER="https://accounts.google.com").oidc_tenant == ""
    assert settings(CYCLE_OIDC_ISSUER="https://sso.example.org/realms/council",
                    CYCLE_OIDC_TENANT=TENANT).oidc_tenant == TENANT


@pytest.mark.parametrize(("issuer", "tenant", "words"), [
    ("https://login.microsoftonline.com/common/v2.0", "", "does not name your tenant by its ID"),
    ("https://login.microsoftonline.com/organizations/v2.0", "", "does not name your tenant by its ID"),
    ("https://login.microsoftonline.com/council.onmicrosoft.com/v2.0", "", "does not name your tenant by its ID"),
    (f"https://login.microsoftonline.com/{TENANT}/v2.0", "9e3c7a51-6b2d-4f80-8c1e-3a5d7b9f0e24",
     "is not the tenant of CYCLE_OIDC_ISSUER"),
    ("https://sso.example.org/realms/council", "council", "should be a tenant ID (a GUID)"),
])
def test_an_issuer_that_does_not_pin_one_tenant_is_refused(issuer: str, tenant: str, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        settings(CYCLE_OIDC_ISSUER=issuer, CYCLE_OIDC_TENANT=tenant)


def test_an_operator_sees_and_forgets_an_accounts_link(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}

    def cli(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, "CYCLE_NEW_PASSWORD": "a long enough password"})

    assert cli("users", "add", OFFICER).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'cycle.db'}")
    with engine.begin() as connection:  # as the first OpenID Connect sign-in leaves it
        connection.execute(text(f"UPDATE accounts SET oidc_subject = 'tid:{TENANT} oid:1'"))
    assert "(linked to the identity provider)" in cli("users", "list").output
    unlinked = cli("users", "unlink", OFFICER)
    assert unlinked.exit_code == 0 and "next sign-in with" in unlinked.output
    with engine.connect() as connection:
        assert connection.execute(text("SELECT oidc_subject FROM accounts")).scalar() is None
    engine.dispose()
    assert "was not linked" in cli("users", "unlink", OFFICER).output
    unknown = cli("users", "unlink", "nobody@example.org")
    assert unknown.exit_code == 1 and "nobody@example.org has no account" in unknown.output
