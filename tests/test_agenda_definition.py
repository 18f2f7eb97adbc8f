"""A board's `agenda:` section: read as written, the defaults without it, and each mistake refused with its
line and field."""

from __future__ import annotations

import pytest

from tests.agenda_setup import AGENDA
from tests.conftest import DEFINITIONS, SHIPPED
from workflow.definition.agenda import STANDARD_ITEMS, FixedItem
from workflow.definition.loader import parse_definition
from workflow.errors import DefinitionError

TEXT = (DEFINITIONS / f"{SHIPPED}.yaml").read_text()
ANCHOR = "  scrutiny_committee:\n"


def _with(section: str) -> str:
    return TEXT.replace(ANCHOR, section + ANCHOR, 1)


def test_the_section_as_written_and_the_defaults_without_it() -> None:
    definition = parse_definition(_with(AGENDA), "agenda.yaml", templates_dir=DEFINITIONS / "templates")
    agenda = definition.boards["mk_together"].agenda
    assert agenda.items == (FixedItem("Overview of Partnership Activity", "For information",
                                      "To consider the overview"),)
    assert (agenda.standard, agenda.notice) == (STANDARD_ITEMS, 5)
    plain = parse_definition(TEXT, "plain.yaml", templates_dir=DEFINITIONS / "templates").boards["safer_mk"].agenda
    assert (plain.standard, plain.items, plain.notice) == (STANDARD_ITEMS, (), 5)


@pytest.mark.parametrize(("section", "field", "message"), [
    ("    agenda:\n      standard: [apologies, minuets]\n", "boards.mk_together.agenda.standard",
     "unknown standard item 'minuets' — did you mean 'minutes'?"),
    ("    agenda:\n      items:\n        - {title: Overview, purpose: For decisions}\n",
     "boards.mk_together.agenda.items[0].purpose", "did you mean 'For decision'"),
    ("    agenda:\n      notice: 5 weeks\n", "boards.mk_together.agenda.notice", "1 to 30 clear working days"),
    ("    agenda:\n      information: [early_finding]\n", "boards.mk_together.agenda.information",
     "unknown paper 'early_finding'"),
    ("    agenda:\n      nótice: 5 working days\n", "boards.mk_together.agenda.nótice", "unknown field"),
])
def test_mistakes_are_refused_with_their_line_and_field(section: str, field: str, message: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        parse_definition(_with(section), "agenda.yaml", templates_dir=DEFINITIONS / "templates")
    found = [(p.line, p.field, p.message) for p in refused.value.problems]
    line = TEXT[:TEXT.index(ANCHOR)].count("\n") + 1  # the section's first line
    assert any(f == field and message in m and p is not None and line <= p <= line + 3 for p, f, m in found), found
