"""Reading a small file a person names (a definition, minutes' narratives, an audit expectation): a regular
file, read no further than its limit.

A device (/dev/zero), a pipe or a folder is refused before anything is read: reading one whole would never end,
or block. The size is checked on the opened file and at most `limit + 1` bytes are read, so a file that grows
while it is read is refused too, never held in memory whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotReadable(ValueError):
    """The file is not a regular file, or is larger than its limit: the message ends a sentence about it."""


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Raises OSError when it cannot be opened and
    NotReadable ('is a device, not a regular file', 'is larger than ...') otherwise."""
    _check(os.stat(path), limit)
    # O_NONBLOCK: should the path be swapped for a pipe after the check, opening it does not hang.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        _check(os.fstat(fd), limit)
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise NotReadable(f"is larger than {limit} bytes")
    return content


def _check(found: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(found.st_mode):
        kind = ("a folder" if stat.S_ISDIR(found.st_mode) else "a pipe" if stat.S_ISFIFO(found.st_mode)
                else "a device" if stat.S_ISCHR(found.st_mode) or stat.S_ISBLK(found.st_mode) else "not a file")
        raise NotReadable(f"is {kind}, not a regular file")
    if found.st_size > limit:
        raise NotReadable(f"is larger than {limit} bytes")
