"""Fires per second through the REST API against the engine's own fire, and the p95 of "my work".

Run it with `.venv/bin/python bench/api.py` (PostgreSQL on the machine; `--help` for the
options). It makes its own database, migrates it and drops it at the end.

1. fires: several client threads each fire their own cycle of bench/transitions.py's loop
   definition (two stages joined by an unguarded trigger each way), first by calling
   `Engine.fire` in this process, then through `POST /api/v1/cycles/{id}/fire` on `cycle web`
   (one uvicorn process, started here), signed in with a personal API token. The rounds
   alternate, so both see the same table sizes and the same load on the machine.
2. my work: 1,000 running cycles (ten copies of the loop definition, a hundred years each) all
   waiting on one person; the latency of `GET /api/v1/mywork` against `my_work()` called here.

Medians of the rounds; nothing is asserted.
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
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable

import httpx

from bench.harness import DEFAULT_SERVER, load, temporary_database
from bench.profile_breakdown import breakdown
from bench.transitions_loop import FIRST_YEAR, LOOP_ACTOR, LOOP_DEFINITION, LOOP_NEXT
from web.accounts import Accounts
from web.config import WebSettings
from workflow.app import App, build
from workflow.reads.mywork import my_work
from workflow.settings import Settings
from workflow.store import db

EMAIL = "bench.author@example.org"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("CYCLE_BENCH_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--threads", type=int, default=4, help="Client threads, each firing its own cycle.")
    parser.add_argument("--seconds", type=float, default=4.0, help="Length of each round.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mywork-requests", type=int, default=60)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--server-workers", type=int, default=1, help="Processes of 'cycle web'.")
    parser.add_argument("--skip-mywork", action="store_true", help="Only the fires.")
    parser.add_argument("--skip-fires", action="store_true", help="Only my work.")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="After the rounds, one more API round with py-spy sampling the server (the thread "
                             "holding the GIL, every process); its raw stacks go to FILE, and the parts of a "
                             "request are printed (bench/profile_breakdown.py).")
    return parser.parse_args()


def definitions(folder: Path, copies: int) -> None:
    for i in range(copies):
        text = LOOP_DEFINITION if i == 0 else LOOP_DEFINITION.replace("id: bench_loop", f"id: bench_loop_{i}")
        name = "bench_loop" if i == 0 else f"bench_loop_{i}"
        (folder / f"{name}.yaml").write_text(text)


def fire_round(threads: int, seconds: float, fire_one: list, cycles: list[int], states: list[str]) -> float:  # type: ignore[type-arg]
    """Each thread fires its own cycle for `seconds`; fires per second over all threads."""
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        while time.monotonic() < stop:
            trigger, dest = LOOP_NEXT[states[i]]
            fire_one[i](cycles[i], trigger)
            states[i] = dest
            counts[i] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - started)


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by process `pid` and every process below it (the server's workers)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, grown = {pid}, True
    while grown:
        below = {c for c, parent in parents.items() if parent in tree} - tree
        grown = bool(below)
        tree |= below
    return sum(used.get(p, 0.0) for p in tree)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def serve(settings: Settings, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CYCLE_DATA_DIR": str(settings.data_dir), "CYCLE_DATABASE_URL": settings.database_url,
           "CYCLE_DEFINITIONS_DIR": str(settings.definitions_dir), "CYCLE_WEB_SECURE_COOKIES": "false"}
    process = subprocess.Popen([sys.executable, "-m", "web", "web", "--port", str(port),
                                "--workers", str(workers)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return answering(process, lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1),
                     "cycle web")


def serve_floor(port: int) -> subprocess.Popen[bytes]:
    """The fire endpoint doing no work (`bench/api_floor.py`), on uvicorn as `cycle web` runs it, one process."""
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.api_floor:app", "--port", str(port),
                                "--log-level", "warning", "--no-access-log"], cwd=Path(__file__).parent.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return answering(process, lambda: httpx.post(f"http://127.0.0.1:{port}/api/v1/cycles/1/fire", timeout=1),
                     "the empty fire endpoint")


def answering(process: subprocess.Popen[bytes], probe: Callable[[], object], name: str) -> subprocess.Popen[bytes]:
    """`process` once `probe` gets any answer from it; stopped, and an error, after two minutes without one."""
    deadline = time.monotonic() + 120  # each process imports the whole app; slow on a loaded machine
    while time.monotonic() < deadline:
        try:
            probe()
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{name} did not start")


def profiled(pid: int, out: Path, work: Callable[[], float]) -> None:
    """Run `work` while py-spy (a dev dependency) samples process `pid` and its children; print the parts."""
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
                            "--subprocesses", "--gil", "--rate", "250", "--format", "raw", "--output", str(out),
                            "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    rate = work()
    spy.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
    spy.wait(30)
    print(f"profiled round: {rate:.0f} fires/s; py-spy samples of the thread holding the GIL, by part:")
    breakdown(out)


def main() -> None:
    args = parse_args()
    with temporary_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "definitions").mkdir()
        definitions(root / "definitions", 10)
        database_url = url.render_as_string(hide_password=False)
        migrate = db.make_engine(database_url)
        db.upgrade(migrate)
        migrate.dispose()
        settings = Settings(data_dir=root / "data", database_url=database_url, definitions_dir=root / "definitions")
        app: App = build(settings)
        engine = app.engine
        accounts = Accounts(engine, WebSettings(secure_cookies=False))
        accounts.add(EMAIL, password="a benchmark password", admin=False, by="bench")
        token = accounts.create_token(EMAIL, "bench")
        cycles = [engine.start("bench_loop", FIRST_YEAR + i, LOOP_ACTOR).cycle for i in range(args.threads)]
        ids = [engine.definition_of(key)[0].id for key in cycles]
        states = ["ping"] * args.threads
        server = serve(settings, args.port, args.server_workers)
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=30,
                                headers={"Authorization": f"Bearer {token}"}) for _ in range(args.threads)]
        floor = None if args.skip_fires else serve_floor(args.port + 1)
        floor_clients = [httpx.Client(base_url=f"http://127.0.0.1:{args.port + 1}", timeout=30,
                                      headers={"Authorization": f"Bearer {token}"}) for _ in range(args.threads)]
        try:
            def through_api(client: httpx.Client):  # type: ignore[no-untyped-def]
                def fire(cycle_id: int, trigger: str) -> None:
                    response = client.post(f"/api/v1/cycles/{cycle_id}/fire", json={"trigger": trigger})
                    if response.status_code != 200:
                        raise RuntimeError(response.text)
                return fire

            if not args.skip_fires:
                direct = [lambda cid, trigger: engine.fire(cid, trigger, LOOP_ACTOR)] * args.threads
                api = [through_api(c) for c in clients]
                empty = [through_api(c) for c in floor_clients]
                fire_round(args.threads, 1.0, direct, ids, states)  # warm-up of every path
                fire_round(args.threads, 1.0, api, ids, states)
                fire_round(args.threads, 1.0, empty, ids, list(states))
                engine_rates, api_rates, server_cpu, client_cpu, engine_cpu = [], [], [], [], []
                floor_rates, floor_cpu = [], []
                for _ in range(args.rounds):
                    client0, t0 = time.process_time(), time.perf_counter()
                    engine_rates.append(fire_round(args.threads, args.seconds, direct, ids, states))
                    engine_cpu.append((time.process_time() - client0) / (engine_rates[-1] * (time.perf_counter() - t0))
                                      * 1e6)
                    server0, client0, t0 = tree_cpu(server.pid), time.process_time(), time.perf_counter()
                    api_rates.append(fire_round(args.threads, args.seconds, api, ids, states))
                    fired = api_rates[-1] * (time.perf_counter() - t0)
                    server_cpu.append((tree_cpu(server.pid) - server0) / fired * 1e6)
                    client_cpu.append((time.process_time() - client0) / fired * 1e6)
                    assert floor is not None
                    server0, t0 = tree_cpu(floor.pid), time.perf_counter()
                    floor_rates.append(fire_round(args.threads, args.seconds, empty, ids, list(states)))
                    floor_cpu.append((tree_cpu(floor.pid) - server0) / (floor_rates[-1] * (time.perf_counter() - t0))
                                     * 1e6)
                engine_rate, api_rate = statistics.median(engine_rates), statistics.median(api_rates)
                print(f"fires, {args.threads} client threads, {args.rounds} rounds of {args.seconds:.0f} s (medians), "
                      f"'cycle web' with {args.server_workers} process(es):")
                print(f"  Engine.fire in process          {engine_rate:8.0f} fires/s")
                print(f"  POST /api/v1/cycles/{{id}}/fire   {api_rate:8.0f} fires/s   ratio {api_rate / engine_rate:.2f}")
                print(f"  CPU per engine fire in process {statistics.median(engine_cpu):,.0f} us; per API fire: server {statistics.median(server_cpu):,.0f} us (all its processes), "
                      f"client {statistics.median(client_cpu):,.0f} us (this process); load average {load()}")
                floor_rate, engine_us, empty_us = (statistics.median(floor_rates), statistics.median(engine_cpu),
                                                   statistics.median(floor_cpu))
                print(f"  the fire endpoint doing no work  {floor_rate:8.0f} requests/s   ratio "
                      f"{floor_rate / engine_rate:.2f} (bench/api_floor.py: FastAPI and one move to a thread, "
                      f"server CPU {empty_us:,.0f} us a request)")
                print(f"  so on one CPU-bound server process no API fire passes ratio engine / (engine + empty) = "
                      f"{engine_us:,.0f} / ({engine_us:,.0f} + {empty_us:,.0f}) = {engine_us / (engine_us + empty_us):.2f}")
                if args.profile is not None:
                    profiled(server.pid, args.profile, lambda: fire_round(args.threads, args.seconds, api, ids, states))
            if args.skip_mywork:
                return

            # 1,000 running cycles, all waiting on the same person.
            for i in range(10):
                ref = "bench_loop" if i == 0 else f"bench_loop_{i}"
                for year in range(100):
                    if i == 0 and year < args.threads:
                        continue
                    engine.start(ref, FIRST_YEAR + year, LOOP_ACTOR)
            core, http = [], []
            core_cpu, server0 = 0.0, tree_cpu(server.pid)
            for _ in range(args.mywork_requests):
                t0, c0 = time.perf_counter(), time.process_time()
                items = my_work(engine, EMAIL)
                core.append((time.perf_counter() - t0) * 1000)
                core_cpu += time.process_time() - c0
                t0 = time.perf_counter()
                response = clients[0].get("/api/v1/mywork")
                http.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200 or len(response.json()) != len(items):
                    raise RuntimeError(f"my work answered {response.status_code}")
            print(f"my work, {len(items)} items from 1,000 running cycles, {args.mywork_requests} requests (ms):")
            print(f"  my_work() in process      median {statistics.median(core):6.1f}   p95 {p95(core):6.1f}")
            print(f"  GET /api/v1/mywork        median {statistics.median(http):6.1f}   p95 {p95(http):6.1f}")
            print(f"  CPU per request: my_work() {core_cpu / args.mywork_requests * 1000:.1f} ms, the server "
                  f"{(tree_cpu(server.pid) - server0) / args.mywork_requests * 1000:.1f} ms; load average {load()}")
        finally:
            for c in clients + floor_clients:
                c.close()
            if floor is not None:
                floor.terminate()
                floor.wait(10)
            server.terminate()
            server.wait(10)
            app.close()


if __name__ == "__main__":
    main()
