"""The folder where the processes of one service keep their Prometheus counters, so /metrics sums them all.

`cycle web --workers N` answers requests in N processes and `cycle worker` runs its tasks in
a pool of processes: each process counts what it did. A counter served by one process alone
would read 8, then 2, for 10 requests, and Prometheus would take the drop for a restart. In
prometheus-client's multiprocess mode every process writes its counters to a file of its own
in one folder (PROMETHEUS_MULTIPROC_DIR) and the process that answers a scrape adds them up.

The process that owns the service (`cycle web`, or `cycle worker`'s supervisor) makes the
folder before any of its processes counts anything: `<data dir>/metrics/<service>-<host>-<pid>`,
one per service and never shared by two, removed when the service stops; a folder left by a
service of this host that was killed is removed by the next one to start. The variable must be
set before prometheus-client is first imported, so this module does not import it.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workflow.datadir import private_dir

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_by_processes(data_dir: Path, service: str) -> Iterator[Path]:
    """While inside: this process and every process it starts count into one new, empty folder."""
    parent = private_dir(private_dir(data_dir) / "metrics")
    host = socket.gethostname()
    _remove_abandoned(parent, host)
    folder = parent / f"{service}-{host}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # left by an earlier process that had this pid
    folder.mkdir(mode=0o700)
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = before
        shutil.rmtree(folder, ignore_errors=True)


def _remove_abandoned(parent: Path, host: str) -> None:
    """The folders of this host's services whose process has gone (killed, so it could not remove its own)."""
    for folder in parent.iterdir():
        name, _, pid = folder.name.rpartition("-")
        if not name.endswith(f"-{host}") or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # alive, another user's
            continue
