"""The notice templates (paper published, meeting changed, document sent) are checked when a definition loads.

A definition does not name them, so nothing used to render them before the first real email: a
misspelt variable failed in a worker the night a meeting moved. `cycle validate` now refuses a
broken one, naming the template's file and line; and the samples it renders them with have the shape
of what the senders really pass.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from notifications import documents, publication, rescheduling
from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED
from workflow.definition.loader import load_definition
from workflow.definition.notice_templates import (
    DOCUMENT_SENT_CONTEXT,
    MEETING_CHANGED_CONTEXT,
    PAPERS_PUBLISHED_CONTEXT,
)
from workflow.store.models import Cycle, Document, Paper

DEFINITION = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")


@pytest.mark.parametrize(("name", "broken", "says"), [
    ("papers_published.txt.j2", "{{ paper.titel }}", "has no attribute 'titel'"),
    ("papers_published.html.j2", "<p>{{ meeting.date_text }</p>", "does not parse: line 2"),
    ("papers_published.subject.j2", "{{ boards.name }}", "uses 'boards', which it is not given"),
    ("meeting_changed.txt.j2", "{% if change.canceled %}gone{% endif %}", "has no attribute 'canceled'"),
    ("meeting_changed.html.j2", "{{ change.reason | shout }}", "does not parse: line 2: No filter named 'shout'"),
    ("meeting_changed.subject.j2", "{{ paper.title }}", "uses 'paper', which it is not given"),
    ("document_sent.txt.j2", "{{ document.pdf_sha }}", "has no attribute 'pdf_sha'"),
    ("document_sent.html.j2", "{% for h in document.hashes %}{{ h }}{% endfor %}", "has no attribute 'hashes'"),
    ("document_sent.subject.j2", "{{ recipient.name.upper( }}", "does not parse: line 2"),
])
def test_a_broken_notice_template_is_refused_by_validate_with_its_file_and_line(
    tmp_path: Path, name: str, broken: str, says: str
) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(DEFINITIONS / "templates", folder / "templates")
    template = folder / "templates" / name
    first, _, rest = template.read_text().partition("\n")
    template.write_text(f"{first}\n{broken}\n{rest}")  # the mistake on line 2
    path = folder / "strategy.yaml"
    path.write_text((DEFINITIONS / f"{SHIPPED}.yaml").read_text())
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(folder)}

    result = CliRunner().invoke(main, ["validate", str(path)], env=env)

    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    notice = name.split(".")[0]
    assert f"{template}:2: templates.{notice}: template '{name}'" in flat, flat
    assert says in flat and "Traceback" not in result.output


@pytest.mark.parametrize(("removed", "says"), [
    (["meeting_changed.txt.j2"], "template 'meeting_changed.txt.j2' is missing: the meeting_changed email is "
                                 "written in all three of"),
    # A definition with documents sends each one to the board that decided, so it needs these.
    (["document_sent.subject.j2", "document_sent.txt.j2", "document_sent.html.j2"],
     "template 'document_sent.subject.j2' is missing: the definition's documents are sent with it"),
])
def test_a_notice_missing_a_file_it_needs_is_refused(tmp_path: Path, removed: list[str], says: str) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(DEFINITIONS / "templates", folder / "templates")
    for name in removed:
        (folder / "templates" / name).unlink()
    path = folder / "strategy.yaml"
    path.write_text((DEFINITIONS / f"{SHIPPED}.yaml").read_text())
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(folder)}
    result = CliRunner().invoke(main, ["validate", str(path)], env=env)
    assert result.exit_code == 2
    assert f"{folder / 'templates' / removed[0]}: templates." in result.output
    assert says in " ".join(result.output.split())


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


def test_the_samples_have_the_shape_of_what_the_senders_pass() -> None:
    cycle = Cycle(key="community_safety_strategy-2021", year=2021)
    stage = DEFINITION.stages["assessment_sign_off"]
    meeting = DEFINITION.meetings["risk_board_august"]
    day = dt.date(2021, 8, 19)
    paper = Paper(title="Annual Strategic Assessment", sha256="ab" * 32, filename="sa.pdf", exempt=False)
    published = publication.notice_context(DEFINITION, cycle, stage, "fire_group_commander", paper, meeting, day,
                                           dt.date(2021, 8, 2))
    assert _shape(published) == _shape(PAPERS_PUBLISHED_CONTEXT)

    payload = {"cancelled": False, "reason": "The chair is unwell.", "sequence": 1}
    changed = rescheduling.notice_context(DEFINITION, cycle, DEFINITION.boards["risk_board"], "fire_group_commander",
                                          meeting, day, payload)
    assert _shape(changed) == _shape(MEETING_CHANGED_CONTEXT)

    record = Document(title="Sign-off record: Risk Board signs off the strategic assessment", version="exempt",
                      pdf_sha256="a" * 64, html_sha256="b" * 64, docx_sha256="c" * 64)
    sent = documents.notice_context(DEFINITION, cycle, DEFINITION.documents["sign_off_record"], record,
                                    "fire_group_commander")
    assert _shape(sent) == _shape(DOCUMENT_SENT_CONTEXT)
