"""Group a py-spy profile of `cycle web` (`py-spy record -f raw`) into the parts of an API request.

    py-spy record -p <server pid> -d 12 -r 200 -f raw -o fire.raw
    .venv/bin/python bench/profile_breakdown.py fire.raw

Each sample's stack is put in the first part below whose pattern one of its frames matches
(the patterns are checked in order, the most specific first); the table is each part's share of
the samples in which the server was busy (py-spy leaves idle threads out).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# Work done in the request's worker thread, whatever it calls: a sample is theirs if any frame matches.
WORK: list[tuple[str, tuple[str, ...]]] = [
    ("(idle: a pool thread waiting for work)", ("Queue.get (queue.py",)),
    ("sign-in lookup (token or session)", ("by_token", "by_session")),
    ("seat: the cycle's row and definition", ("seat (web/access.py", "definition_of (workflow/engine.py")),
    # The fire's sign-in lookup and seat since they are one query in its transaction (`web.access.fire_seat`).
    ("sign-in lookup and seat, one query", ("read (web/access.py",)),
    ("engine fire", ("Engine.fire (engine.py", "Engine.fire_seated (engine.py")),
]
# Everything else goes to the frame nearest the leaf that matches one of these (the middleware and the
# server wrap every request, so "any frame" would give them all of it).
NEAREST: list[tuple[str, tuple[str, ...]]] = [
    ("response: validation and JSON", ("serialize_response", "jsonable_encoder", "orjson", "render (starlette",
                                       "render (fastapi", "pydantic_core", "_serialize")),
    ("request: routing, dependencies, body validation", ("solve_dependencies", "request_body_to_args",
                                                         "_validate", "fastapi/routing.py", "starlette/routing",
                                                         "fastapi/", "starlette/requests")),
    ("idempotency and metrics middleware", ("web/idempotency.py", "web/metrics.py", "prometheus")),
    ("access log", ("access_log", "logging/")),
    ("thread pool hand-offs", ("anyio", "to_thread", "concurrent/futures", "threading.py", "queue.py")),
    ("HTTP parsing and writing (h11 / httptools)", ("h11", "httptools")),
    ("event loop and transport", ("asyncio", "uvloop", "selectors", "uvicorn")),
]


def part_of(stack: str) -> str:
    for name, patterns in WORK:
        if any(p in stack for p in patterns):
            if name == "engine fire":
                return "engine fire: psycopg" if "psycopg" in stack else "engine fire: SQLAlchemy and the engine"
            return name
    for frame in reversed(stack.split(";")):
        for name, patterns in NEAREST:
            if any(p in frame for p in patterns):
                return name
    return "other"


def breakdown(path: str | Path) -> None:
    counts: Counter[str] = Counter()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stack, _, n = line.rstrip("\n").rpartition(" ")
        if stack and n.isdigit():
            counts[part_of(stack)] += int(n)
    idle = counts.pop("(idle: a pool thread waiting for work)", 0)
    total = sum(counts.values())
    print(f"left out: {idle} samples of pool threads waiting for work")
    print(f"{'part of the request':55} {'samples':>8} {'share':>6}")
    for name, n in counts.most_common():
        print(f"{name:55} {n:8d} {n / total:6.1%}")
    print(f"{'all':55} {total:8d}")


if __name__ == "__main__":
    breakdown(sys.argv[1])
