"""Attach and download time of a large paper with CYCLE_STORAGE=files and CYCLE_STORAGE=database.

Both on the same scratch PostgreSQL database, so the only difference is where the bytes go:
- attach: `cycle attach` as the engine runs it (read the file, store it under its SHA-256, write
  the paper's row, history and event), a fresh paper each round so nothing is already stored;
- download: the bytes back whole, as the API's download and an email attachment read them;
- stream: the bytes chunk by chunk, with the peak memory a reader then needs.

Usage: python bench/storage.py [--size-mb 20] [--rounds 5] [--database-url ...]
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import contextlib
import dataclasses
import datetime as dt
import random
import shutil
import tempfile
from typing import Any

from bench.harness import (
    DEFINITIONS,
    arguments,
    machine,
    median,
    ms,
    rounds,
    table,
    temporary_database,
)
from bench.harness import main as run_main
from workflow.app import build
from workflow.errors import CycleError
from workflow.settings import Settings
from workflow.store import db
from workflow.time.clock import SimulatedClock, at_local

DEFINITION = "community_safety_strategy"
CYCLE = f"{DEFINITION}-2021"
AUTHOR = "head_of_partnerships"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = arguments("bench/storage.py", "Attach and download time of a large paper, in files and in PostgreSQL.")
    parser.add_argument("--size-mb", type=float, default=20.0, help="the paper's size in MB (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each (default: %(default)s)")
    args = parser.parse_args(argv)
    if not 0 < args.size_mb <= 50:
        parser.error("--size-mb takes more than 0 and at most 50 (the default largest paper)")
    if args.rounds < 1:
        parser.error("--rounds takes 1 or more")
    return args


def measure(settings: Settings, size: int, count: int, work_dir: Path) -> dict[str, Any]:
    """Attach `count` fresh papers of `size` bytes, then read the last one back whole and in chunks."""
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    try:
        with contextlib.suppress(CycleError):  # the first run started it: both attach to the same cycle
            app.engine.start(DEFINITION, 2021, AUTHOR)
        papers = iter(range(count + 1))
        digests: list[str] = []

        def attach() -> None:
            n = next(papers)
            file = work_dir / f"paper-{settings.storage}-{n}.pdf"
            # Random bytes, a new paper each round: content addressing would make a repeat free.
            with file.open("wb") as handle:
                handle.write(_random(size, seed=f"{settings.storage}-{n}"))
            digests.append(app.engine.attach(CYCLE, "early_findings", file, AUTHOR).sha256)
            file.unlink()

        attach_times = rounds(attach, count, warmup=1)
        store = app.engine.papers
        got: list[int] = []
        download_times = rounds(lambda: got.append(len(store.get(digests[-1]))), count)
        peak = [0]

        def stream() -> None:
            total = 0
            for chunk in store.stream(digests[-1]):
                total += len(chunk)
                peak[0] = max(peak[0], len(chunk))
            got.append(total)

        stream_times = rounds(stream, count)
        assert set(got) == {size}, "every read gave the whole paper back"
        return {"attach": attach_times, "download": download_times, "stream": stream_times, "chunk": peak[0]}
    finally:
        app.close()


def _random(size: int, seed: str) -> bytes:
    return random.Random(seed).randbytes(size)


def run(args: argparse.Namespace) -> None:
    size = int(args.size_mb * 1024 * 1024)
    work_dir = Path(tempfile.mkdtemp(prefix="cycle-bench-storage-"))
    try:
        with temporary_database(args.database_url, "storage") as url:
            database_url = url.render_as_string(hide_password=False)
            migrate = db.make_engine(database_url)
            db.upgrade(migrate)
            db.mark_rehearsal(migrate)  # a scratch database on simulated time
            migrate.dispose()
            print(f"strategy-cycle storage benchmark, {dt.date.today().isoformat()}")
            print(f"  machine:  {machine()}")
            print(f"  a {args.size_mb:g} MB paper, {args.rounds} rounds each, PostgreSQL at {url.host}:{url.port}\n")
            base = Settings(data_dir=work_dir / "data", database_url=database_url, definitions_dir=DEFINITIONS)
            (work_dir / "data").mkdir()
            rows = []
            for storage in ("files", "database"):
                found = measure(dataclasses.replace(base, storage=storage), size, args.rounds, work_dir)
                rows.append([storage, *(f"{ms(median(found[k]))} ({ms(min(found[k]))}-{ms(max(found[k]))})"
                                        for k in ("attach", "download", "stream")),
                             f"{found['chunk'] / 1024 / 1024:.1f} MB"])
            print(table(["CYCLE_STORAGE", "attach ms", "download ms", "stream ms", "largest read"], rows))
            print("\n  median (min-max) wall milliseconds; 'largest read' is the most a streaming reader holds")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    run_main(run, parse_args(argv))


if __name__ == "__main__":
    main()
