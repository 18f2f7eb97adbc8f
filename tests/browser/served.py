"""The whole product served for the browser tests: `cycle web` and Celery workers as processes, on a seeded database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import DEFINITIONS, SHIPPED, empty_tables, first_version, make_settings
from tests.helpers import AUTHOR, CYCLE, carry, paper_file
from tests.integration.web.conftest import PASSWORD
from tests.integration.workers import Worker, free_port, wait_until, worker_env
from web.accounts import Accounts
from web.config import WebSettings
from workflow.app import App, build
from workflow.store import db
from workflow.time.clock import at_local

ADMIN = "admin@example.org"
STARTED = at_local(dt.date(2021, 7, 1), 9)


@dataclass(frozen=True)
class People:
    """Emails of the seeded accounts, all with the password `PASSWORD`."""

    officer: str  # head_of_partnerships: runs the cycle
    committee_manager: str  # records boards' decisions
    risk_board_member: str  # probation_manager: Risk Board (and Safer MK)
    other_board_member: str  # council_chief_executive: Safer MK and MK Together, not Risk Board
    admin: str  # an administrator who is nobody in the definition


@dataclass
class LiveSite:
    url: str
    app: App  # the engine on the same database and shared clock, to look at (or move) what the pages show
    people: People
    cycle: str = CYCLE
    password: str = PASSWORD


def seed(app: App, folder: Path) -> People:
    """The shipped strategy started for 2021 and one stage on (paper attached, board's decision, fired),
    and an account for each kind of person."""
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(folder, "early-findings"), AUTHOR)
    carry(app, "mk_together", "early_findings")
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    people = engine.catalog.load(SHIPPED).people
    accounts = Accounts(engine, WebSettings(secure_cookies=False, password_cost="test"))
    chosen = People(officer=people[AUTHOR].email, committee_manager=people["committee_manager"].email,
                    risk_board_member=people["probation_manager"].email,
                    other_board_member=people["council_chief_executive"].email, admin=ADMIN)
    for email in dataclasses.astuple(chosen):
        accounts.add(email, password=PASSWORD, admin=email == ADMIN, by="test")
    return chosen


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/auth/login", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def live_site(pg_url: str, redis_url: str, folder: Path) -> Iterator[LiveSite]:
    """Migrate and seed the database, start the workers and `cycle web`; stop them and empty the database after."""
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.mark_rehearsal(engine)  # the site runs on the shared simulated clock
    engine.dispose()
    empty_tables(pg_url)  # whatever tests ran before on the run's database, the site starts from its own seed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    definitions = folder / "definitions"  # a copy: an admin's upload in a test never changes the shipped files
    shutil.copytree(DEFINITIONS, definitions, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    first_version(definitions / "alcohol_pspo_variation.yaml")  # the versions test saves its version 2
    env = worker_env(pg_url, redis_url, folder, CYCLE_WEB_SECURE_COOKIES="false", CYCLE_WEB_BASE_URL=url,
                     CYCLE_DEFINITIONS_DIR=str(definitions), CYCLE_PASSWORD_COST="test")
    app = build(dataclasses.replace(make_settings(Path(env["CYCLE_DATA_DIR"]), pg_url), shared_clock=True,
                                    definitions_dir=definitions))
    processes: list[Worker] = []
    try:
        app.engine.clock.set(STARTED)  # type: ignore[attr-defined]
        people = seed(app, folder)
        processes.append(Worker(env, folder / "worker.log", name="browser"))
        web = Worker(env, folder / "web.log", argv=[sys.executable, "-m", "web", "web", "--host", "127.0.0.1",
                                                     "--port", str(port)])
        processes.append(web)
        wait_until(lambda: answers(url), f"'cycle web' to answer at {url}", 60, check=web.check)
        yield LiveSite(url, app, people)
    finally:
        for process in processes:
            process.stop()
        app.close()
        empty_tables(pg_url)
