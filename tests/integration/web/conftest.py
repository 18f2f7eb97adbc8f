"""`cycle web`'s app served by uvicorn on a loopback port, on the test run's PostgreSQL database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from tests.conftest import empty_tables, make_settings
from web.accounts import Accounts, digest
from web.app import create_app
from web.auth import SESSION_COOKIE
from web.config import WebSettings
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.store import db
from workflow.store.models import Account, WebSession
from workflow.store.outbox import wall_clock
from workflow.time.clock import SimulatedClock, at_local

PASSWORD = "a long test password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: FastAPI, port: int) -> Iterator[str]:
    """Run `app` under uvicorn in a thread on 127.0.0.1:`port` until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Site:
    url: str
    app: FastAPI
    clock: SimulatedClock
    clients: list[httpx.Client] = field(default_factory=list)
    kept: dict[str, tuple[httpx.Client, str]] = field(default_factory=dict)  # by email: signed in for the module
    stale: set[str] = field(default_factory=set)  # kept sessions whose row a test's emptying may have taken

    @property
    def engine(self) -> Engine:
        found: Engine = self.app.state.cycle.engine
        return found

    @property
    def accounts(self) -> Accounts:
        found: Accounts = self.app.state.accounts
        return found

    @property
    def definition(self) -> Definition:
        loaded: Definition = self.engine.catalog.load("community_safety_strategy")
        return loaded

    def email(self, person: str) -> str:
        return self.definition.people[person].email

    def account(self, person: str, *, admin: bool = False) -> str:
        """An account with a password for `person` of the shipped definition; returns their email."""
        email = self.email(person)
        self.accounts.add(email, password=PASSWORD, admin=admin, by="test")
        return email

    def token(self, person: str) -> dict[str, str]:
        """Authorization headers with a fresh personal API token of `person` (the account is made if missing)."""
        email = self.email(person)
        if not any(a.email == email for a in self.accounts.all()):
            self.account(person)
        return {"Authorization": f"Bearer {self.accounts.create_token(email, 'test')}"}

    def client(self) -> httpx.Client:
        """An HTTP client of the site, closed after the test."""
        client = httpx.Client(base_url=self.url, timeout=30)
        self.clients.append(client)
        return client

    def sign_in(self, person: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
        """A browser-like client signed in through the sign-in form; returns it and the session's CSRF token."""
        return self.form_sign_in(self.client(), self.email(person), password)

    def form_sign_in(self, client: httpx.Client, email: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
        form = client.get("/auth/login")
        token = form.cookies["cycle_form"]
        response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 303, response.text
        me = client.get("/api/v1/me")
        assert me.status_code == 200, me.text
        return client, me.json()["csrf_token"]

    def signed_in(self, person: str) -> tuple[httpx.Client, str]:
        """`person` signed in once for the whole module (their account made first, as for `sign_in`)."""
        return self.signed_in_as(self.email(person))

    def signed_in_as(self, email: str) -> tuple[httpx.Client, str]:
        """A client signed in as `email` kept for the module, for tests that are not about signing in, sessions,
        CSRF or throttling (those sign in with `sign_in`, each on a client of its own).

        The module's first test to ask signs in through the form. A later test gets the same client, its cookies
        but the session's dropped (a notice or a form's errors left by an earlier test), and, when emptying the
        tables after the earlier test took it, the session's row written back for the account this test made.
        """
        if email not in self.kept:
            self.kept[email] = self.form_sign_in(httpx.Client(base_url=self.url, timeout=30), email)
            return self.kept[email]
        client, csrf = self.kept[email]
        if email in self.stale:
            self.stale.discard(email)
            secret = client.cookies[SESSION_COOKIE]
            for name in [c.name for c in client.cookies.jar if c.name != SESSION_COOKIE]:
                client.cookies.delete(name)
            with self.engine.unit_of_work() as session:
                if session.get(WebSession, digest(secret)) is None:
                    account = session.scalars(select(Account.id).where(Account.email == email)).first()
                    assert account is not None, f"{email} has no account to sign in to: make it first"
                    now = wall_clock()
                    hours = dt.timedelta(hours=self.app.state.web.session_hours)
                    session.add(WebSession(token_hash=digest(secret), account_id=account, csrf_token=csrf,
                                           created_at=now, expires_at=now + hours, method="password"))
        return client, csrf

    def end_test(self) -> None:
        """Close the test's own clients; the kept ones wait for the next test, which checks their sessions."""
        while self.clients:
            self.clients.pop().close()
        self.stale.update(self.kept)

    def close(self) -> None:
        self.end_test()
        for client, _ in self.kept.values():
            client.close()
        self.kept.clear()


def web_settings(url: str, **kw: str) -> WebSettings:
    return WebSettings(base_url=url, secure_cookies=False, password_cost="test", **kw)  # type: ignore[arg-type]


@contextmanager
def served_site(pg_url: str, data_dir: Path, definitions_dir: Path | None = None,
                web_extra: dict[str, str] | None = None, settings_extra: dict[str, Any] | None = None) -> Iterator[Site]:
    """The site on the test database, on the shipped definitions or a folder of the test's own; `settings_extra`
    replaces fields of its `Settings` (such as `lock_wait`)."""
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)  # the tests run on a simulated clock
    engine.dispose()
    clock = SimulatedClock(at_local(dt.date(2021, 7, 20), 10))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(data_dir, pg_url)
    if definitions_dir is not None:
        settings = dataclasses.replace(settings, definitions_dir=definitions_dir)
    if settings_extra:
        settings = dataclasses.replace(settings, **settings_extra)
    app = create_app(settings, web=web_settings(url, **(web_extra or {})), clock=clock)
    with serve(app, port):
        site = Site(url, app, clock)
        try:
            yield site
        finally:
            site.close()


@pytest.fixture(scope="module")
def site(pg_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Site]:
    """The service for one test module; a module's WEB_SETTINGS (a dict) adds to its web settings, and its
    SETTINGS (a dict of `Settings` fields) to its settings."""
    with served_site(pg_url, Path(tmp_path_factory.mktemp("web")), web_extra=getattr(request.module, "WEB_SETTINGS", {}),
                     settings_extra=getattr(request.module, "SETTINGS", {})) as found:
        yield found


@pytest.fixture
def web(site: Site, pg_url: str) -> Iterator[Site]:
    """The served site, emptied after each test."""
    yield site
    site.end_test()
    empty_tables(pg_url)
