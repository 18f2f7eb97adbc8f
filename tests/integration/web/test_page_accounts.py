"""Accounts (admins) and API tokens (everyone's own) in the browser's pages, with the rules `cycle users` and
`cycle tokens` keep: refusals written nowhere, addresses checked as the definitions' are, tokens shown once."""

from __future__ import annotations

import re

import httpx
from argon2 import PasswordHasher, profiles
from sqlalchemy import select

from tests.integration.web.conftest import PASSWORD, Site
from web.accounts import HASHERS, MASK
from workflow.store.models import Account, ApiToken, Mail

HTML = {"Accept": "text/html"}
BAD = "'bob@@' is not an email address: the part after the @-sign contains invalid characters: '@'"


def accounts_and_mail(web: Site) -> tuple[list[tuple[str, bool]], list[str]]:
    with web.engine.sessions() as session:
        accounts = [(a.email, a.disabled) for a in session.scalars(select(Account).order_by(Account.email))]
        mail = list(session.scalars(select(Mail.recipient).where(Mail.kind == "account").order_by(Mail.id)))
    return accounts, mail


def an_admin(web: Site) -> tuple[httpx.Client, str]:
    web.accounts.add("admin@example.org", password=PASSWORD, admin=True, by="test")
    client = web.client()
    token = client.get("/auth/login").cookies["cycle_form"]
    assert client.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 303
    return client, client.get("/api/v1/me").json()["csrf_token"]


def test_a_person_who_is_not_an_admin_is_refused_every_account_action_and_nothing_is_written(web: Site) -> None:
    web.account("head_of_partnerships")
    web.account("committee_manager")
    officer, csrf = web.sign_in("head_of_partnerships")
    before = accounts_and_mail(web)
    page = officer.get("/accounts", headers=HTML)
    assert page.status_code == 403
    assert "is not an admin; only an admin manages accounts" in page.text
    assert web.email("committee_manager") not in page.text
    asked = officer.get(f"/accounts/disable?email={web.email('committee_manager')}", headers=HTML)
    assert asked.status_code == 403 and "Disable the account" not in asked.text
    victim = web.email("committee_manager")
    for path, data in (("/accounts", {"email": web.email("director_policy")}),
                       ("/accounts/disable", {"email": victim}), ("/accounts/reset", {"email": victim})):
        refused = officer.post(path, headers=HTML, data={**data, "csrf_token": csrf})
        assert refused.status_code == 403, path
        assert "only an admin manages accounts" in refused.text
    assert accounts_and_mail(web) == before
    assert "Accounts" not in officer.get("/my-work", headers=HTML).text.split("<main")[0]


def test_a_bad_address_is_refused_with_one_sentence_by_the_page_the_api_and_nothing_is_written(web: Site) -> None:
    admin, csrf = an_admin(web)
    before = accounts_and_mail(web)
    page = admin.post("/accounts", headers=HTML, data={"email": "bob@@", "admin": "yes", "password_now": "yes",
                                                       "password": "short", "csrf_token": csrf})
    assert page.status_code == 422
    # Both problems at once, each in the summary and beside its field.
    assert page.text.count(BAD.replace("'", "&#39;") + ".") == 2
    assert page.text.count("A password needs at least 12 characters.") == 2
    assert 'href="#email"' in page.text and 'href="#password"' in page.text
    token = web.token("head_of_partnerships")
    admin_token = {"Authorization": f"Bearer {web.accounts.create_token('admin@example.org', 'x')}"}
    api = web.client().post("/api/v1/accounts", headers=admin_token, json={"email": "bob@@", "admin": True})
    assert api.status_code == 422 and api.json()["detail"] == BAD
    assert web.client().post("/api/v1/accounts", headers=token, json={"email": "bob@@"}).status_code == 403
    after, mail = accounts_and_mail(web)
    assert [email for email, _ in after] == [email for email, _ in before[0]] + [web.email("head_of_partnerships")]
    assert mail == []


def test_an_admin_invites_adds_resets_and_disables_through_the_page(web: Site) -> None:
    admin, csrf = an_admin(web)
    invited = web.email("committee_manager")
    sent = admin.post("/accounts", headers=HTML, data={"email": invited, "password_now": "no", "csrf_token": csrf})
    assert sent.status_code == 303
    page = admin.get("/accounts", headers=HTML).text
    assert f"{invited} is invited: a one-time link to choose a password is emailed to them" in page
    assert "Invited: no password yet" in page
    with web.engine.sessions() as session:
        [(recipient, body, status)] = session.execute(
            select(Mail.recipient, Mail.text_body, Mail.status).where(Mail.kind == "account")).all()
    assert (recipient, status) == (invited, "sent") and MASK in body  # sent at once, kept masked

    officer = web.email("head_of_partnerships")
    added = admin.post("/accounts", headers=HTML, data={"email": officer, "password_now": "yes",
                                                        "password": "a chosen first password", "csrf_token": csrf})
    assert added.status_code == 303
    signed_in, _ = web.sign_in("head_of_partnerships", "a chosen first password")
    assert signed_in.get("/api/v1/me").status_code == 200

    again = admin.post("/accounts", headers=HTML, data={"email": officer, "csrf_token": csrf})
    assert again.status_code == 422
    assert f"There is already an account for {officer}; send a reset link to set a new password." in again.text

    assert admin.post("/accounts/reset", headers=HTML, data={"email": officer, "csrf_token": csrf}).status_code == 303
    assert f"A one-time link to set a new password is emailed to {officer}" in admin.get("/accounts", headers=HTML).text
    assert accounts_and_mail(web)[1] == [invited, officer]

    asked = admin.get(f"/accounts/disable?email={officer}", headers=HTML)
    assert asked.status_code == 200 and "every API token of theirs is revoked" in asked.text
    assert signed_in.get("/api/v1/me").status_code == 200  # asking changes nothing
    assert admin.post("/accounts/disable", headers=HTML, data={"email": officer, "csrf_token": csrf}).status_code == 303
    assert "Disabled" in admin.get("/accounts", headers=HTML).text
    assert signed_in.get("/api/v1/me").status_code == 401  # their session ended
    gone = admin.get(f"/accounts/disable?email={officer}", headers=HTML)
    assert gone.status_code == 404 and "has no account that can be disabled" in gone.text


def test_a_password_hashed_with_other_parameters_is_hashed_again_at_sign_in(web: Site) -> None:
    email = web.account("head_of_partnerships")
    older = PasswordHasher(time_cost=2, memory_cost=64, parallelism=2).hash(PASSWORD)
    with web.engine.unit_of_work() as session:
        session.scalars(select(Account).where(Account.email == email)).one().password_hash = older
    current = HASHERS["test"]
    assert current.check_needs_rehash(older)
    web.sign_in("head_of_partnerships")
    with web.engine.sessions() as session:
        stored = session.scalar(select(Account.password_hash).where(Account.email == email))
    assert stored is not None and stored != older
    parameters = profiles.CHEAPEST  # what the service hashes with in a test set-up (WebSettings.password_cost)
    assert f"m={parameters.memory_cost},t={parameters.time_cost},p={parameters.parallelism}" in stored
    assert not current.check_needs_rehash(stored)
    web.sign_in("head_of_partnerships")  # and the same password still opens it


def test_a_token_made_on_the_page_is_shown_once_works_and_stops_when_revoked(web: Site) -> None:
    email = web.account("head_of_partnerships")
    person, csrf = web.sign_in("head_of_partnerships")
    forged = person.post("/tokens", headers=HTML, data={"name": "nightly report"})  # no CSRF token: refused
    assert forged.status_code == 403 and "CSRF token" in forged.text and web.accounts.tokens(email) == []
    made = person.post("/tokens", headers=HTML, data={"name": "nightly report", "csrf_token": csrf})
    assert made.status_code == 201
    secret = re.search(r'>(cyc_[A-Za-z0-9_-]+)</textarea>', made.text).group(1)  # type: ignore[union-attr]
    listed = person.get("/tokens", headers=HTML).text
    assert "nightly report" in listed and "In use" in listed and secret not in listed
    with web.engine.sessions() as session:
        assert secret not in str(list(session.execute(select(ApiToken.__table__))))
    script = web.client()
    bearer = {"Authorization": f"Bearer {secret}"}
    me = script.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json()["email"] == email
    [token_id] = [t.id for t in web.accounts.tokens(email)]
    revoked = person.post(f"/tokens/{token_id}/revoke", headers=HTML, data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert "Revoked" in person.get("/tokens", headers=HTML).text
    refused = script.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the API token is not recognised or has been revoked"


def test_a_token_needs_a_name_and_only_an_admin_reaches_another_persons_tokens(web: Site) -> None:
    web.account("head_of_partnerships")
    other = web.account("committee_manager")
    web.accounts.create_token(other, "their script")
    person, csrf = web.sign_in("head_of_partnerships")
    unnamed = person.post("/tokens", headers=HTML, data={"name": "  ", "csrf_token": csrf})
    assert unnamed.status_code == 422
    assert "A token needs a name of 1 to 100 characters saying what it is for." in unnamed.text
    assert web.accounts.tokens(web.email("head_of_partnerships")) == []
    theirs = person.get(f"/tokens?email={other}", headers=HTML)
    assert theirs.status_code == 403 and "their script" not in theirs.text
    assert "only an admin manages another person&#39;s API tokens" in theirs.text
    assert person.post("/tokens/1/revoke", headers=HTML, data={"email": other, "csrf_token": csrf}).status_code == 403
    assert person.post("/tokens/1/revoke", headers=HTML, data={"csrf_token": csrf}).status_code == 404  # not theirs
    assert person.post("/tokens", headers=HTML, data={"email": other, "name": "x", "csrf_token": csrf}).status_code == 403
    assert [t.revoked_at for t in web.accounts.tokens(other)] == [None]

    admin, admin_csrf = an_admin(web)
    page = admin.get(f"/tokens?email={other}", headers=HTML)
    assert page.status_code == 200 and "their script" in page.text
    assert admin.post("/tokens/1/revoke", headers=HTML,
                      data={"email": other, "csrf_token": admin_csrf}).status_code == 303
    assert web.accounts.tokens(other)[0].revoked_at is not None
