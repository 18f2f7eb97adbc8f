"""Keep the log of every process of a fault run that stopped on its own, so it can be diagnosed afterwards.

A process counts if Celery logged "Unrecoverable error" in it, if its `cycle worker` supervisor reported a
consumer that exited by itself (not one the test SIGKILLed), or if the process itself had exited before
the test stopped it. Its log is copied under the run's folder and the tail of each traceback is printed.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

UNRECOVERABLE = "Unrecoverable error"
# The supervisor's line for a consumer that ended by itself ("exited with status N"), as opposed to one that
# "was killed by SIGKILL", which is the test's own consumer fault.
CONSUMER_EXITED = re.compile(r"the consumer \(pid \d+\) exited with status -?\d+")
RECORD = re.compile(r"^\[\d{4}-\d\d-\d\d ")  # the start of a log record in Celery's and the supervisor's format
TAIL = 25


@dataclass
class Kept:
    name: str
    copy: Path
    reasons: list[str]
    tails: list[str]


def _tracebacks(text: str) -> list[str]:
    """Each "Unrecoverable error" record with its traceback, cut to its last lines."""
    lines = text.splitlines()
    found = []
    for at, line in enumerate(lines):
        if UNRECOVERABLE not in line:
            continue
        end = at + 1
        while end < len(lines) and not RECORD.match(lines[end]):
            end += 1
        record = lines[at:end]
        found.append("\n".join([record[0], "  ...", *record[-TAIL:]] if len(record) > TAIL + 1 else record))
    return found


def keep(logs: dict[str, tuple[Path, int | None]], folder: Path) -> list[Kept]:
    """Copy into `folder` the logs (name -> (path, exit status if it exited before being stopped)) worth keeping."""
    kept = []
    for name, (path, exited) in logs.items():
        text = path.read_text(errors="replace") if path.exists() else ""
        reasons = []
        if exited is not None:
            reasons.append(f"the process exited on its own with status {exited}")
        reasons += [m.group(0) for m in CONSUMER_EXITED.finditer(text)]
        tails = _tracebacks(text)
        if tails:
            reasons.append(f"Celery logged '{UNRECOVERABLE}' {len(tails)} time(s)")
        if not reasons:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / path.name
        shutil.copyfile(path, copy)
        kept.append(Kept(name, copy, reasons, tails))
    return kept


def report(kept: list[Kept]) -> str:
    if not kept:
        return "no process stopped on its own; no log kept"
    parts = []
    for item in kept:
        parts.append(f"kept the log of {item.name} at {item.copy}: " + "; ".join(item.reasons))
        parts += [f"--- tail of the traceback ---\n{tail}" for tail in item.tails]
    return "\n".join(parts)
