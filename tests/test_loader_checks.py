"""Checks added for what admins were found to get wrong: each edit of the shipped file must be refused."""

from __future__ import annotations

import pytest

from tests.conftest import DEFINITIONS, SHIPPED
from workflow.definition.loader import parse_definition
from workflow.errors import DefinitionError

TEXT = (DEFINITIONS / f"{SHIPPED}.yaml").read_text()


def problems_after(old: str, new: str) -> list[tuple[int | None, str, str]]:
    assert TEXT.count(old) == 1, old
    edited = TEXT.replace(old, new)
    with pytest.raises(DefinitionError) as refused:
        parse_definition(edited, "edited.yaml", templates_dir=DEFINITIONS / "templates")
    return [(p.line, p.field, p.message) for p in refused.value.problems]


def line_of(fragment: str) -> int:
    return next(i for i, row in enumerate(TEXT.splitlines(), 1) if fragment in row)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("        due: 3 January\n", "        due: 29 February\n", "stages.consultation.strands.online_survey.due",
         "'29 February' exists only in leap years"),
        ("    name: Risk Board\n", '    name: "Risk Board\\r\\nBcc: intruder@example.net"\n', "boards.risk_board.name",
         "must be a single line"),
        ("      - {after: 5, to: [board_chair]}\n", "      - {after: 0, to: [board_chair]}\n",
         "reminders.board_decision.escalate[0].after", "1 or more working days"),
        ("    due: January\n    reminders: [officer_milestone]\n", "    reminders: [officer_milestone]\n",
         "stages.consultation.reminders", "need the stage to have a 'due' date"),
        ("    to: [owner, \"role:report_author\"]\n", "    to: [owner, board_voting]\n", "stages.consultation.reminders",
         "sends to board_voting, but stage 'consultation' has no board"),
        ("        due: December\n      parish_town_councils:", "        due: decmber\n      parish_town_councils:",
         "stages.consultation.strands.community_representatives.due", "did you mean 'December'"),
    ],
)
def test_refused_with_field_and_reason(old: str, new: str, field: str, message: str) -> None:
    found = problems_after(old, new)
    assert any(f == field and message in m for _, f, m in found), found


def test_a_board_that_meets_needs_someone_to_keep_its_calendar() -> None:
    """Moves, agendas and minutes are its committee manager's alone: a board nobody manages would be stuck."""
    block = TEXT[TEXT.index("  scrutiny_committee:\n"):TEXT.index("\nmeetings:")]
    unmanaged = block.replace("    organiser: scrutiny_officer\n", "").replace("      scrutiny_officer: officer\n", "")
    found = problems_after(block, unmanaged)
    first = next(i for i, row in enumerate(TEXT.splitlines(), 1) if "board: scrutiny_committee" in row)
    # The error names the line that first gives the board a meeting: TEXT's line, less the two removed.
    assert any(line == first - 2 and field.endswith(".board") and
               "Community and Housing Scrutiny Committee meets, but nobody may move its meetings" in message
               for line, field, message in found), found
