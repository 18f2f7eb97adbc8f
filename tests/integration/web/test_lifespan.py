"""The web app's command threads live as long as its lifespan: an app served again answers again.

A test (or a server that restarts an app in place) may run one app's lifespan twice; the second run must
not be handed the threads the first one shut down, or every signed-in request would fail."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import empty_tables, make_settings
from tests.integration.web.conftest import free_port, serve, web_settings
from web.accounts import Accounts
from web.app import create_app
from workflow.store import db
from workflow.time.clock import SimulatedClock


def test_an_app_served_twice_signs_in_and_fires_in_each_run(pg_url: str, tmp_path: Path,
                                                            clock: SimulatedClock) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)  # the app runs on a simulated clock
    engine.dispose()
    port = free_port()
    app = create_app(make_settings(tmp_path, pg_url), web=web_settings(f"http://127.0.0.1:{port}"), clock=clock)
    accounts: Accounts = app.state.accounts
    try:
        for run in range(2):
            with serve(app, port) as url, httpx.Client(base_url=url, timeout=30) as client:
                email = f"officer{run}@council.gov.uk"
                accounts.add(email, password=None, admin=True, by="test")
                token = {"Authorization": f"Bearer {accounts.create_token(email, 'test')}"}
                me = client.get("/api/v1/me", headers=token)  # who is asking is looked up on the command threads
                assert me.status_code == 200, me.text
                assert me.json()["email"] == email
                # A fire signs in, finds the seat and fires on those threads: here refused, no such cycle running.
                fired = client.post("/api/v1/cycles/NO-SUCH-CYCLE/fire", headers=token, json={"trigger": "begin"})
                assert fired.status_code == 404, fired.text
    finally:
        empty_tables(pg_url)
