"""The Jinja2 environment that renders admin-written templates.

Admins write templates as data, so they render in a sandbox: no attribute
access to Python internals, strict undefined variables (a typo fails at load,
not in an email in March) and autoescape for HTML.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment


def _autoescape(name: str | None) -> bool:
    return name is not None and ".htm" in name


def make_environment(templates_dir: Path) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


REMINDER_PARTS = ("subject.j2", "txt.j2", "html.j2")
"""A reminder template named `x` is the three files x.subject.j2, x.txt.j2, x.html.j2."""


def reminder_files(name: str) -> list[str]:
    return [f"{name}.{part}" for part in REMINDER_PARTS]
