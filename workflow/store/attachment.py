"""Reading a paper's file for `attach`: a regular file of a bounded size, under a name safe to send.

The engine checks the actor's role and the cycle before calling `read_paper`, so a person
without the role never makes the engine open anything.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from workflow.definition.formatting import byte_size
from workflow.errors import InvalidInput

MAX_PAPER_BYTES = 50 * 1024 * 1024
"""The default largest paper (50 MB); `CYCLE_MAX_PAPER_BYTES` sets another."""

MAX_FILENAME = 200
"""A stored file name's length at most, in characters (the column holds 300)."""


def read_paper(file: Path, limit: int = MAX_PAPER_BYTES) -> bytes:
    """The file's content, if it is a regular, non-empty file of at most `limit` bytes; else one sentence.

    Checked before reading: a device (/dev/zero), a pipe (which would block) or a folder is refused
    without being read; the size is checked on the opened file too, and no more than the limit is read.
    """
    try:
        before = os.stat(file)
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    _check(file, before, limit)
    try:
        # O_NONBLOCK: should the path be swapped for a pipe after the check, opening it does not hang.
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        _check(file, os.fstat(fd), limit)
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise InvalidInput(f"{file} grew past {byte_size(limit)} while it was read; attach it once it is finished")
    if not content:
        raise InvalidInput(f"{file} is empty; attach the paper itself")
    return content


def _check(file: Path, found: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(found.st_mode):
        kind = ("a folder" if stat.S_ISDIR(found.st_mode) else "a pipe" if stat.S_ISFIFO(found.st_mode)
                else "a device" if stat.S_ISCHR(found.st_mode) or stat.S_ISBLK(found.st_mode) else "not a file")
        raise InvalidInput(f"{file} is {kind}, not a regular file; attach the paper's own file")
    if found.st_size > limit:
        raise InvalidInput(f"{file} is {byte_size(found.st_size)}, over the {byte_size(limit)} a paper may be "
                           "(CYCLE_MAX_PAPER_BYTES); attach a smaller file or a link to it")
    if found.st_size == 0:
        raise InvalidInput(f"{file} is empty; attach the paper itself")



def safe_filename(name: str) -> str:
    """The name an attached file is stored and emailed under: no folder, no control or line-break
    characters (CR, LF, U+2028 ...), no leading dots, at most `MAX_FILENAME` characters, never empty."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") else ch
                   for ch in name)
    kept = " ".join(kept.split()).lstrip(". ")
    if len(kept) > MAX_FILENAME:
        _, dot, ext = kept.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        kept = kept[:MAX_FILENAME - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return kept or "paper"
