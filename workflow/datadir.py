"""The data directory is private to the account that runs strategy-cycle: 0700, every file in it 0600.

Papers, documents, the embedded database, the outbox's emails and the broker's messages all hold
exempt information. Every entry point (the `cycle` command, its workers and scheduler, any web
service) calls `keep_private` before it writes, so whatever it creates is 0600 (files) or 0700
(folders); `private_dir` also tightens a data directory that an earlier version left open.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077


def keep_private() -> None:
    """From now on this process creates files 0600 and folders 0700 (a umask of 077)."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` 0700, or make an existing one 0700 and its top-level files 0600; returns it.

    Only what this account owns is changed: a shared folder set up by an administrator is left as it is.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(path, 0o700)
    for child in path.iterdir():
        if child.is_file() and not child.is_symlink():
            _tighten(child, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    found = path.stat()
    if found.st_uid == os.getuid() and stat.S_IMODE(found.st_mode) & 0o077:
        path.chmod(mode)
