"""Accounts (admins) and API tokens (everyone's own) in a browser: the forms, their refusals, a token shown once."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite


def test_an_admin_is_told_every_problem_then_invites_a_person(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.admin)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    accounts = page.locator("#every-account + table")
    expect(accounts).to_contain_text(site.people.officer)
    expect(accounts).to_contain_text("Administrator")
    looked_at(page, "accounts")

    page.get_by_label("Email address").fill("bob@@")
    page.get_by_label("Set one now and tell them it").check()
    page.get_by_label("First password").fill("short")
    page.get_by_role("button", name="Add the account").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text([
        "'bob@@' is not an email address: the part after the @-sign contains invalid characters: '@'.",
        "A password needs at least 12 characters."])
    expect(page.get_by_label("Email address")).to_have_value("bob@@")
    looked_at(page, "accounts-refused")

    invited = site.app.engine.catalog.load("community_safety_strategy").people["director_policy"].email
    page.get_by_label("Email address").fill(invited)
    page.get_by_label("Email them a one-time link to choose their own").check()
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{invited} is invited")
    row = page.locator("#every-account + table tr", has_text=invited)
    expect(row).to_contain_text("Invited: no password yet")
    row.get_by_role("button", name=f"Disable {invited}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Disable this account?")
    expect(page.get_by_role("main")).to_contain_text(f"{invited} cannot sign in")
    looked_at(page, "disable-account")
    page.get_by_role("button", name="Disable the account").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{invited} can no longer sign in")
    expect(page.locator("#every-account + table tr", has_text=invited)).to_contain_text("Disabled")


def test_a_person_makes_a_token_sees_it_once_and_revokes_it(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.risk_board_member)
    navigation = page.get_by_role("navigation", name="Menu")
    expect(navigation.get_by_role("link", name="Accounts")).to_have_count(0)  # not an admin
    navigation.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("What the token is for").fill("board papers script")
    page.get_by_role("button", name="Make a token").click()
    expect(page.locator(".govuk-panel")).to_contain_text("shown this once")
    secret = page.get_by_label("The new token").input_value()
    assert secret.startswith("cyc_")
    looked_at(page, "api-tokens")
    me = httpx.get(f"{site.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert me.status_code == 200 and me.json()["email"] == site.people.risk_board_member

    page.goto("/tokens")
    expect(page.get_by_label("The new token")).to_have_count(0)  # never shown again
    row = page.locator("#tokens + table tr", has_text="board papers script")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("alert")).to_contain_text("is revoked")
    expect(page.locator("#tokens + table tr", has_text="board papers script")).to_contain_text("Revoked")
    after = httpx.get(f"{site.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert after.status_code == 401
