"""Meeting hours, venue and link in a definition: read as given, refused with the field and line when wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import DEFINITIONS, SHIPPED
from workflow.definition.loader import parse_definition
from workflow.errors import DefinitionError

SOURCE = (DEFINITIONS / f"{SHIPPED}.yaml").read_text()
HOURS = '    start: "10:00"\n    end: "12:00"\n'


def _with_hours(hours: str) -> str:
    assert HOURS in SOURCE
    return SOURCE.replace(HOURS, hours, 1)


def test_the_shipped_meetings_have_hours_venues_and_names() -> None:
    definition = parse_definition(SOURCE, str(DEFINITIONS / f"{SHIPPED}.yaml"), templates_dir=DEFINITIONS / "templates")
    august = definition.meetings["risk_board_august"]
    assert (august.start, august.minutes) == (dt.time(10, 0), 120)
    assert august.venue.startswith("Meeting Room 4") and august.remote_link.startswith("https://")
    assert definition.boards["risk_board"].organiser == "committee_manager"
    assert all(person.name for person in definition.people.values())


def test_unquoted_times_and_a_duration_are_read_as_meant() -> None:
    definition = parse_definition(_with_hours("    start: 9:30\n    duration: 90\n"), "x.yaml",
                                  templates_dir=DEFINITIONS / "templates")
    august = definition.meetings["risk_board_august"]
    assert (august.start, august.minutes) == (dt.time(9, 30), 90)


@pytest.mark.parametrize(("hours", "field", "words"), [
    ('    start: "25:00"\n', "start", "expected a time of day"),
    ('    start: "14:00"\n    end: "13:00"\n', "end", "ends at 13:00, not after it starts at 14:00"),
    ('    start: "14:00"\n    end: "16:00"\n    duration: 60\n', "duration", "not both"),
    ('    end: "16:00"\n', "start", "needs a 'start'"),
])
def test_wrong_meeting_hours_are_refused_with_the_field(hours: str, field: str, words: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        parse_definition(_with_hours(hours), "x.yaml", templates_dir=DEFINITIONS / "templates")
    problems = [p for p in refused.value.problems if p.field == f"meetings.risk_board_august.{field}"]
    assert len(problems) == 1 and words in problems[0].message and problems[0].line


def test_a_remote_link_that_is_not_a_web_address_is_refused() -> None:
    # The first meeting with the Risk Board's link is August's.
    text = SOURCE.replace("remote_link: https://teams.example.org/l/meetup-join/risk-board",
                          "remote_link: the usual Teams call", 1)
    with pytest.raises(DefinitionError) as refused:
        parse_definition(text, "x.yaml", templates_dir=DEFINITIONS / "templates")
    (problem,) = [p for p in refused.value.problems if p.field == "meetings.risk_board_august.remote_link"]
    assert "'the usual Teams call' is not a web address" in problem.message
