"""The public read's pure parts: one meeting per board and day whatever the number of cycles due at it, and the
Schedule 12A paragraph said in the statute's words (or the Schedule alone, never the stored text otherwise)."""

from __future__ import annotations

import datetime as dt

from workflow.definition.model import Meeting
from workflow.reads.public import PublicItem, PublicMeeting, _merged, paragraph


def sitting(cycle: str, day: dt.date, item: str, *, cancelled: bool = False, sequence: int = 0) -> PublicMeeting:
    meeting = Meeting("risk_board_august", "risk_board", "Risk Board (August)", "third Thursday of August",
                      start=dt.time(10), minutes=120)
    key = day.isoformat() + ("-cancelled" if cancelled else "")
    return PublicMeeting(key, f"{cycle}.risk_board_august@strategy-cycle", cycle, "risk_board", "Risk Board", meeting,
                         day, cancelled, sequence > 0, sequence, [PublicItem(item, item.title())])


def test_two_cycles_due_at_a_board_on_one_day_make_one_meeting_with_both_their_business() -> None:
    day = dt.date(2021, 8, 19)
    merged = _merged([sitting("Serious Violence 2021", day, "duty_plan", sequence=2),
                      sitting("Community Safety Strategy 2021", day, "strategic_assessment"),
                      sitting("Alcohol PSPO", day, "variation", cancelled=True),
                      sitting("Community Safety Strategy 2022", dt.date(2022, 8, 18), "strategic_assessment")])
    assert [(m.key, m.cancelled) for m in merged] == [("2021-08-19", False), ("2021-08-19-cancelled", True),
                                                     ("2022-08-18", False)]
    held = merged[0]
    assert [i.item for i in held.items] == ["strategic_assessment", "duty_plan"]  # by cycle, as their keys sort
    assert held.cycle_title == "Community Safety Strategy 2021; Serious Violence 2021"
    assert held.moved and held.sequence == 2 and held.hours == "10:00 to 12:00"


def test_a_paragraph_is_said_in_the_statutes_words_and_nothing_else_is_repeated() -> None:
    assert paragraph("Schedule 12A, paragraph 7: Information relating to crime") == (
        "Schedule 12A, paragraph 7: Information relating to any action taken or to be taken in connection with "
        "the prevention, investigation or prosecution of crime")
    for odd in (None, "", "Schedule 12A, paragraph 9: made up", "names the family"):
        assert paragraph(odd) == "Schedule 12A to the Local Government Act 1972"
