"""Every page and list at 100 and at 1,000 running cycles: median and p95 of each, their ratio, and the SQL
statements each request sends.

Run it with `.venv/bin/python bench/pages.py` (PostgreSQL on the machine; `--help` for the options). It
makes its own database, migrates it and drops it at the end.

1. 100 running cycles of the shipped definition (bench/pages_setup.py: spread over the stages, with
   papers, decisions and mail) are read through `cycle web` (one uvicorn process, started here) by a
   person signed in through the sign-in form: My work, Cycles (all, and filtered), one cycle's overview,
   decisions and papers, My boards, Operations and the definitions list; and `GET /api/v1/mywork` with
   a personal API token. Each page `--requests` times after two unkept requests.
2. The same statements are counted on the same pages of the app in this process (an SQLAlchemy
   `before_cursor_execute` listener), one request each: a page's count should not follow the cycles.
3. 900 more cycles, and both again. The table gives median and p95 at each size and the ratio of the
   1,000 figures to the 100 ones (aim: 2 or less, p95 under 150 ms at 1,000; My work's API p95 under 100).

Nothing is asserted; tests/integration/web/test_page_queries.py holds the query counts still.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where bench/transitions.py would shadow
# the `transitions` library. Take it off, and put the repository on instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from starlette.testclient import TestClient

from bench import harness
from bench.pages_setup import FIRST_YEAR, Seeder, copy_id, reader, write_definitions
from web.accounts import Accounts
from web.app import create_app
from web.config import WebSettings
from workflow.app import build
from workflow.settings import Settings
from workflow.store import db

PASSWORD = "a benchmark password, long enough"
MIDDLE = FIRST_YEAR + 57  # a cycle well along its path: papers, decisions and strands to show


def pages(copies: int) -> list[tuple[str, str]]:
    """(name, address) of every page measured; the cycle pages are of one cycle well along its path."""
    key = f"{copy_id(0)}-{MIDDLE}"
    return [
        ("My work", "/my-work"),
        ("Cycles", "/cycles"),
        ("Cycles, filtered", f"/cycles?definition={copy_id(copies - 1)}&overdue=yes"),
        ("a cycle's overview", f"/cycles/{key}"),
        ("its decisions", f"/cycles/{key}/decisions"),
        ("its papers", f"/cycles/{key}/papers"),
        ("My boards", "/my-boards"),
        ("Operations", "/operations"),
        ("Definitions", "/definitions"),
        ("GET /api/v1/mywork", "/api/v1/mywork"),
    ]


def sign_in(client: httpx.Client | TestClient, email: str) -> None:
    form = client.get("/auth/login")
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": form.cookies["cycle_form"]}, follow_redirects=False)
    if response.status_code != 303:
        raise RuntimeError(f"signing in answered {response.status_code}: {response.text[:300]}")


def get(client: httpx.Client | TestClient, address: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"} if address.startswith("/api/") else {}
    response = client.get(address, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{address} answered {response.status_code}: {response.text[:300]}")


@contextmanager
def served(settings: Settings, port: int) -> Iterator[str]:
    """`cycle web` on the benchmark's database, one uvicorn process."""
    env = {**os.environ, "CYCLE_DATA_DIR": str(settings.data_dir), "CYCLE_DATABASE_URL": settings.database_url,
           "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir), "CYCLE_WEB_SECURE_COOKIES": "false"}
    process = subprocess.Popen([sys.executable, "-m", "web", "web", "--port", str(port)], env=env, cwd=harness.REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        harness.wait_for(lambda: _answers(url), "cycle web to start", 60,
                         lambda: None if process.poll() is None else _exited(process))
        yield url
    finally:
        process.terminate()
        process.wait(20)


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/api/v1/openapi.json", timeout=1)
        return True
    except httpx.TransportError:
        return False


def _exited(process: subprocess.Popen[bytes]) -> None:
    raise RuntimeError(f"cycle web exited ({process.returncode})")


def timings(url: str, email: str, token: str, addresses: list[tuple[str, str]], count: int) -> dict[str, list[float]]:
    with httpx.Client(base_url=url, timeout=120) as client:
        sign_in(client, email)
        return {name: harness.rounds(lambda a=address: get(client, a, token), count, warmup=2)  # type: ignore[misc]
                for name, address in addresses}


def statements(settings: Settings, email: str, token: str, addresses: list[tuple[str, str]]) -> dict[str, int]:
    """The SQL statements one request of each page sends, on the app in this process (after one unkept request)."""
    app = create_app(settings, web=WebSettings(secure_cookies=False, base_url="http://testserver"))
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(app.state.cycle.database, "before_cursor_execute", count)
    found = {}
    with TestClient(app) as client:
        sign_in(client, email)
        for name, address in addresses:
            get(client, address, token)
            counted[0] = 0
            get(client, address, token)
            found[name] = counted[0]
    return found


def run(args: argparse.Namespace) -> None:
    print(harness.machine())
    with harness.temporary_database(args.database_url, "pages") as url, tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "definitions").mkdir()
        write_definitions(root / "definitions", 10)
        database_url = url.render_as_string(hide_password=False)
        migrate = db.make_engine(database_url)
        db.upgrade(migrate)
        migrate.dispose()
        settings = Settings(data_dir=root / "data", database_url=database_url, definitions_dir=root / "definitions")
        app = build(settings)
        try:
            seeder = Seeder(app, root / "papers", args.seeders)
            person = reader(app.engine.catalog.load(copy_id(0)))
            email = app.engine.catalog.load(copy_id(0)).people[person].email
            accounts = Accounts(app.engine, WebSettings(secure_cookies=False))
            accounts.add(email, password=PASSWORD, admin=True, by="bench")
            token = accounts.create_token(email, "bench")
            print(f"pages read as {person} ({email}), an admin; {args.requests} requests a page")
            figures: dict[int, tuple[dict[str, list[float]], dict[str, int]]] = {}
            for copies in (1, 10):
                started = time.perf_counter()
                seeder.seed(copies)
                print(f"{copies * 100} running cycles seeded in {time.perf_counter() - started:.0f} s", flush=True)
                addresses = pages(copies)
                with served(settings, harness.free_port()) as site:
                    times = timings(site, email, token, addresses, args.requests)
                figures[copies * 100] = (times, statements(settings, email, token, addresses))
                size(copies * 100, *figures[copies * 100])
            report(figures)
        finally:
            app.close()
    print(f"load average at the end: {harness.load()}")


def size(cycles: int, times: dict[str, list[float]], sql: dict[str, int]) -> None:
    """One size's figures as soon as they are taken (the comparison comes at the end)."""
    print(f"at {cycles:,} running cycles (load average {harness.load()}):")
    print(harness.table(("page", "median", "p95", "SQL"), [
        (name, harness.ms(harness.median(t)), harness.ms(harness.percentile(t, 95)), sql[name])
        for name, t in times.items()]), flush=True)


def report(figures: dict[int, tuple[dict[str, list[float]], dict[str, int]]]) -> None:
    small, large = figures[100], figures[1000]
    rows = []
    for name in small[0]:
        a, b = small[0][name], large[0][name]
        ratio = harness.percentile(b, 95) / harness.percentile(a, 95)
        rows.append((name, harness.ms(harness.median(a)), harness.ms(harness.percentile(a, 95)),
                     harness.ms(harness.median(b)), harness.ms(harness.percentile(b, 95)), f"{ratio:.2f}",
                     small[1][name], large[1][name]))
    print("milliseconds; ratio: p95 at 1,000 / p95 at 100; SQL: statements one request sends")
    print(harness.table(("page", "median 100", "p95 100", "median 1,000", "p95 1,000", "ratio", "SQL 100",
                         "SQL 1,000"), rows))


def parse_args() -> argparse.Namespace:
    parser = harness.arguments("bench/pages.py", __doc__ or "")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.set_defaults(database_url=os.environ.get("CYCLE_BENCH_DATABASE_URL", harness.DEFAULT_SERVER))
    parser.add_argument("--requests", type=int, default=30, help="Requests of each page at each size.")
    parser.add_argument("--seeders", type=int, default=4, help="Processes seeding the cycles, a copy each.")
    return parser.parse_args()


if __name__ == "__main__":
    harness.main(run, parse_args())
