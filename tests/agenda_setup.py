"""A cycle with business at the MK Together Management Board's July 2021 meeting (Tuesday 13 July), for the agenda's
tests: the shipped definition with an `agenda:` section for that board, the early findings attached (public) and an
exempt annex (Schedule 12A paragraph 2) attached for the same stage."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEFINITIONS, SHIPPED, make_settings
from tests.helpers import AUTHOR, paper_file
from workflow.app import App, build
from workflow.time.clock import SimulatedClock, at_local

JULY = dt.date(2021, 7, 13)
BOARD = "mk_together"
AGENDA = """    agenda:
      standard: [apologies, minutes, interests, next_meeting]
      items:
        - {title: Overview of Partnership Activity, purpose: For information, description: To consider the overview}
      notice: 5 working days
"""


def agenda_definitions(folder: Path, *replaced: tuple[str, str]) -> Path:
    """The shipped definitions, with the MK Together board's agenda section (and each (old, new) text replaced)."""
    shutil.copytree(DEFINITIONS, folder, dirs_exist_ok=True)
    path = folder / f"{SHIPPED}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  scrutiny_committee:\n", AGENDA + "  scrutiny_committee:\n", 1)
    for old, new in replaced:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def agenda_app(tmp_path: Path) -> Iterator[App]:
    """An engine whose cycle of 2021 has the early findings and an exempt annex before the July meeting."""
    yield from agenda_engine(tmp_path)


@pytest.fixture
def organised_app(tmp_path: Path) -> Iterator[App]:
    """`agenda_app` with MK Together's meetings organised by the scrutiny officer, who is not on its board (so not
    entitled to its exempt papers); the committee manager, an officer member of the board, still manages it."""
    yield from agenda_engine(tmp_path, ("  mk_together:\n    organiser: committee_manager",
                                        "  mk_together:\n    organiser: scrutiny_officer"))


def agenda_engine(tmp_path: Path, *replaced: tuple[str, str]) -> Iterator[App]:
    settings = dataclasses.replace(make_settings(tmp_path),
                                   definitions_dir=agenda_definitions(tmp_path / "defs", *replaced))
    built = build(settings, clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    built.engine.start(SHIPPED, 2021, AUTHOR)
    built.engine.attach(f"{SHIPPED}-2021", "early_findings", paper_file(tmp_path, "findings"), AUTHOR)
    built.engine.attach(f"{SHIPPED}-2021", "strategic_assessment", paper_file(tmp_path, "annex"), AUTHOR, exempt=2,
                        title="Named victims annex")
    yield built
    built.close()
