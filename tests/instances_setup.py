"""The test definitions of `instances: cases` (tests/data/cases.yaml and a typed twin) in a folder of their own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

from tests.conftest import make_settings
from workflow.app import App, build
from workflow.time.clock import SimulatedClock, at_local

CASES = Path(__file__).resolve().parent / "data" / "cases.yaml"
WHEN = at_local(dt.date(2026, 3, 2), 10)  # Monday 2 March 2026


def case_folder(directory: Path) -> Path:
    """A definitions folder with `cases` (numbered TST-{year}-{seq:03}) and `typed_cases` (typed references)."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(CASES, directory / "cases.yaml")
    typed = CASES.read_text(encoding="utf-8").replace("id: cases", "id: typed_cases").replace(
        'reference: "TST-{year}-{seq:03}"', "reference: typed")
    (directory / "typed_cases.yaml").write_text(typed, encoding="utf-8")
    return directory


def case_app(tmp_path: Path, database_url: str | None = None) -> App:
    settings = dataclasses.replace(make_settings(tmp_path, database_url),
                                   definitions_dir=case_folder(tmp_path / "definitions"))
    return build(settings, clock=SimulatedClock(WHEN))
