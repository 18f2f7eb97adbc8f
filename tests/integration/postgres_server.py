"""A PostgreSQL cluster of the test's own (initdb on a free port), which a test may stop abruptly.

Never the machine's server: `stop_immediately` is `pg_ctl stop -m immediate` (no checkpoint, clients cut,
crash recovery at the next start), which only a private cluster may suffer. As root, the cluster runs as
the `postgres` account in a folder it owns (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.integration.workers import free_port


def _binaries() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not candidates:
        raise AssertionError("PostgreSQL's pg_ctl is not installed on this machine; the fault test needs it")
    return Path(candidates[-1]).parent


class PostgresCluster:
    def __init__(self, folder: Path) -> None:
        self.bin, self.port = _binaries(), free_port()
        self.as_root = os.geteuid() == 0
        # As root the folder must be one the postgres account can reach: pytest's tmp_path is private to root.
        self.folder = Path(tempfile.mkdtemp(prefix="cycle-faults-pg-")) if self.as_root else folder
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        if self.as_root:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(f"{tool} failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self) -> None:
        # fsync off only spares the disk: an immediate stop is a crash of PostgreSQL, not of the machine, and
        # the operating system keeps what was written. synchronous_commit stays on: off, a commit the client
        # was told of can be lost in such a crash (a first version of this test lost an attached paper so).
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log), "-o", options)

    def stop_immediately(self) -> None:
        self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError):  # already stopped
            self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
        if self.as_root:
            shutil.rmtree(self.folder, ignore_errors=True)
