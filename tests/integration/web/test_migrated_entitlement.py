"""A migration takes entitlement away at once in a `cycle web` running in another process.

`cycle web` is started as the operator starts it (its own process, its own engine and caches), on
the test run's PostgreSQL database. A Risk Board member reads the board's exempt paper and the email
that published it through every read path; `cycle migrate`, run here, makes them an observer and gives
another member's directory id a new address. Without restarting the web process: the observer gets
404s and withheld subjects everywhere, the command line withholds too, and the id's new holder
cannot read or list the email sent to the old address.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from notifications.publication import publish_action
from tests.conftest import DEFINITIONS, SHIPPED_VERSION, empty_tables, make_settings
from tests.integration.web.conftest import PASSWORD, free_port
from web.accounts import Accounts
from web.cli import main
from web.config import WebSettings
from workflow.app import App, build
from workflow.store import db
from workflow.store.db import normalise_url
from workflow.store.models import Mail, OutboxEvent, Paper
from workflow.store.outbox import Handlers
from workflow.time.clock import SimulatedClock, at_local

CYCLE = "community_safety_strategy-2021"
NOW = "2021-07-20T10:00:00+01:00"
HTML = {"Accept": "text/html"}
# A voting member of the Risk Board who only advises Safer MK, the later board that decides on the paper: made
# an observer of the Risk Board, no board that decides on it has them in private session.
MEMBER, MOVED = "deputy_director_public_health", "fire_group_commander"
MEMBER_EMAIL = "public.health@example.org"
NEW_HOLDER = "new.commander@example.org"


def version_one(folder: Path) -> None:
    """The shipped definition, with the report author allowed to migrate its cycles."""
    text = (DEFINITIONS / "community_safety_strategy.yaml").read_text()
    text = text.replace("permissions:\n", "permissions:\n  migrate: [report_author]\n", 1)
    (folder / "community_safety_strategy.yaml").write_text(text)


def version_two(folder: Path) -> None:
    """The Deputy Director of Public Health an observer of the Risk Board; the fire commander's id held by someone new."""
    path = folder / "community_safety_strategy.yaml"
    text = path.read_text().replace(f"version: {SHIPPED_VERSION}", f"version: {SHIPPED_VERSION + 1}", 1)
    head, board, tail = text.partition("  risk_board:\n")
    tail = tail.replace(f"      {MEMBER}: voting\n", f"      {MEMBER}: observer\n", 1)
    text = head + board + tail
    text = text.replace("email: fire.commander@example.org", f"email: {NEW_HOLDER}", 1)
    path.write_text(text)


@pytest.fixture
def running(pg_url: str, tmp_path: Path) -> Iterator[tuple[App, dict[str, str]]]:
    """The cycle started on the shipped version here; its environment, for `cycle web` and `cycle` commands."""
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    version_one(folder)
    database = db.make_engine(pg_url)
    db.upgrade(database)
    database.dispose()
    empty_tables(pg_url)  # another module's tests may have left rows
    database = db.make_engine(pg_url)
    db.mark_rehearsal(database)
    database.dispose()
    settings = dataclasses.replace(make_settings(tmp_path / "data", pg_url), definitions_dir=folder)
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2021, 7, 20), 10)))
    env = {"CYCLE_DATABASE_URL": normalise_url(pg_url), "CYCLE_DATA_DIR": str(tmp_path / "data"),
           "CYCLE_DEFINITIONS_DIR": str(folder), "CYCLE_NOW": NOW, "CYCLE_WEB_SECURE_COOKIES": "false"}
    yield app, env
    app.close()
    empty_tables(pg_url)


@pytest.fixture
def web_process(running: tuple[App, dict[str, str]], tmp_path: Path) -> Iterator[str]:
    """`cycle web` in a process of its own; its address."""
    _app, env = running
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "web.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "web", "web", "--port", str(port)],
                               env={**os.environ, **env, "CYCLE_WEB_BASE_URL": url}, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/auth/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cycle web did not start:\n{(tmp_path / 'web.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def signed_in(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    token = client.get("/auth/login").cookies["cycle_form"]
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


def published(app: App, tmp_path: Path) -> int:
    """An exempt Risk Board paper attached, and emailed to the board's entitled members as the worker does."""
    paper = tmp_path / "assessment.txt"
    paper.write_text("Exempt: the named offenders of the strategic assessment.\n")
    app.engine.attach(CYCLE, "strategic_assessment", paper, "head_of_partnerships", exempt=3,
                                 title="Assessment annex: named offenders", stage="assessment_sign_off")
    handlers = Handlers()
    handlers.on("PaperAttached", "papers", publish_action(app.engine, "example.org"))
    with app.engine.sessions() as session:
        events = list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.event_type == "PaperAttached")))
    for event_id in events:
        handlers.handle(app.engine, event_id)
    with app.engine.sessions() as session:
        return int(session.scalars(select(Paper.id).where(Paper.exempt.is_(True))).one())


def mail_of(app: App, email: str) -> int:
    with app.engine.sessions() as session:
        return int(session.scalars(select(Mail.id).where(Mail.recipient == email, Mail.kind == "papers")).one())


def reads(client: httpx.Client, paper_id: int, mail_id: int) -> dict[str, object]:
    """Everything a person can learn of the paper and its email, through each read path of the service."""
    title = "Assessment annex: named offenders"
    status = client.get(f"/api/v1/cycles/{CYCLE}")
    return {
        "api paper": client.get(f"/api/v1/papers/{paper_id}").status_code,
        "page paper": client.get(f"/papers/{paper_id}", headers=HTML).status_code,
        "api papers list": paper_id in [p["id"] for p in client.get(f"/api/v1/cycles/{CYCLE}/papers").json()],
        "api cycle status": status.status_code == 200 and title in status.text,
        "papers page": title in client.get(f"/cycles/{CYCLE}/papers", headers=HTML).text,
        "api mail": client.get(f"/api/v1/mail/{mail_id}").status_code,
        "api mail list": mail_id in [m["id"] for m in client.get(f"/api/v1/cycles/{CYCLE}/mail").json()],
        "mail page": "Assessment annex" in client.get(f"/cycles/{CYCLE}/mail", headers=HTML).text,
    }


def cli(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_member_made_an_observer_by_a_migration_reads_nothing_more_in_the_running_web_process(
        running: tuple[App, dict[str, str]], web_process: str, tmp_path: Path) -> None:
    app, env = running
    assert app.engine.start("community_safety_strategy", 2021, "head_of_partnerships").cycle == CYCLE
    accounts = Accounts(app.engine, WebSettings(secure_cookies=False))
    for email in (MEMBER_EMAIL, "fire.commander@example.org"):
        accounts.add(email, password=PASSWORD, admin=False, by="test")
    paper_id = published(app, tmp_path)
    member_mail, moved_mail = mail_of(app, MEMBER_EMAIL), mail_of(app, "fire.commander@example.org")
    member = signed_in(web_process, MEMBER_EMAIL)
    # Entitled on the shipped version, through every path (and so every cache the web process keeps is warm).
    assert reads(member, paper_id, member_mail) == {
        "api paper": 200, "page paper": 200, "api papers list": True, "api cycle status": True,
        "papers page": True, "api mail": 200, "api mail list": True, "mail page": True}
    assert "named offenders" in cli(env, "mail", "show", str(member_mail), "--as", MEMBER)

    version_two(Path(env["CYCLE_DEFINITIONS_DIR"]))
    cli(env, "migrate", CYCLE, "--to-version", str(SHIPPED_VERSION + 1), "--as", "head_of_partnerships")
    accounts.add(NEW_HOLDER, password=PASSWORD, admin=False, by="test")

    # The same session, the same web process, no restart: nothing more of the exempt paper.
    assert reads(member, paper_id, member_mail) == {
        "api paper": 404, "page paper": 404, "api papers list": False, "api cycle status": False,
        "papers page": False, "api mail": 404, "api mail list": True, "mail page": False}
    shown = CliRunner().invoke(main, ["mail", "show", str(member_mail), "--as", MEMBER], env=env)
    assert shown.exit_code == 0 and "named offenders" not in shown.output and "withheld" in shown.output
    # The id's new holder (entitled on the raised version) sees the paper, but not the email sent to the old address.
    holder = signed_in(web_process, NEW_HOLDER)
    assert holder.get(f"/api/v1/papers/{paper_id}").status_code == 200
    assert holder.get(f"/api/v1/mail/{moved_mail}").status_code == 404
    assert moved_mail not in [m["id"] for m in holder.get(f"/api/v1/cycles/{CYCLE}/mail").json()]
    assert not re.search(r"Assessment annex", holder.get(f"/cycles/{CYCLE}/mail", headers=HTML).text)
    # The old address is in no directory of the running cycle any more: the cycle itself is a 404 to it.
    old = signed_in(web_process, "fire.commander@example.org")
    assert old.get(f"/api/v1/mail/{moved_mail}").status_code == 404
    for client in (member, holder, old):
        client.close()
