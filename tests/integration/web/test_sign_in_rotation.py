"""Guesses at one email from many addresses add up, alike for an unknown email; the owner's address is spared."""

from __future__ import annotations

import re

from tests.integration.web.conftest import PASSWORD, Site


def test_guesses_at_one_email_rotating_addresses_are_slowed_and_the_owner_still_signs_in(web: Site) -> None:
    web.account("committee_manager")
    email = web.email("committee_manager")
    web.sign_in("committee_manager")  # from the owner's own address (the loopback, no proxy header)
    client = web.client()
    token = client.get("/auth/login").cookies["cycle_form"]

    def guess(who: str, address: str, password: str = "not the password") -> tuple[int, str]:
        reply = client.post("/auth/login", headers={"X-Forwarded-For": address},
                            data={"email": who, "password": password, "csrf_token": token})
        return reply.status_code, reply.json()["detail"] if reply.status_code != 303 else ""

    def rotating(who: str, net: int) -> list[int]:
        # Five guesses from each address: never the ten that slow one address.
        return [guess(who, f"198.51.{net}.{n // 5 + 1}")[0] for n in range(31)]

    real, unknown = rotating(email, 100), rotating("nobody@example.org", 101)
    assert real == unknown == [401] * 30 + [429], "the same answers whether or not the account exists"
    status, detail = guess(email, "198.51.100.200")
    assert status == 429 and re.search(r"too many wrong passwords for this email; wait \d+ seconds", detail)
    assert guess(email, "198.51.100.201", PASSWORD)[0] == 429, "a new address waits, right password or not"
    # The owner, from the address they signed in from before, is not locked out.
    web.sign_in("committee_manager")


def test_an_ipv6_client_counts_by_its_64(web: Site) -> None:
    client = web.client()
    token = client.get("/auth/login").cookies["cycle_form"]
    answers = []
    for n in range(11):  # eleven addresses of one /64: one client that made eleven guesses
        reply = client.post("/auth/login", headers={"X-Forwarded-For": f"2001:db8:5:7::{n + 1:x}"},
                            data={"email": "someone@example.org", "password": "wrong", "csrf_token": token})
        answers.append(reply.status_code)
    assert answers == [401] * 10 + [429]
    other = client.post("/auth/login", headers={"X-Forwarded-For": "2001:db8:5:8::1"},
                        data={"email": "someone@example.org", "password": "wrong", "csrf_token": token})
    assert other.status_code == 401, "another /64 is another client"
