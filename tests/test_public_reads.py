"""The public read: one meeting per board and day whatever the number of cycles due at it, the Schedule 12A
paragraph said in the statute's words (or the Schedule alone, never the stored text otherwise), and only a
definition's sign-off documents listed as sign-off records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from tests.agenda_setup import BOARD, JULY, agenda_definitions
from tests.conftest import SHIPPED, make_settings
from tests.helpers import AUTHOR, CLERK, CYCLE, paper_file
from tests.test_agenda_issue import handle_issues
from workflow.app import build
from workflow.commands import agenda as commands
from workflow.definition.model import Meeting
from workflow.reads import public
from workflow.reads.public import PublicItem, PublicMeeting, _merged, paragraph
from workflow.store.models import Document
from workflow.time.clock import SimulatedClock, at_local


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


def test_an_issued_agenda_pack_is_not_listed_as_a_sign_off_record(tmp_path: Path) -> None:
    """The public pack names the members' link to join and the committee manager's email: it is for the agenda
    and the minutes to list (`issued_documents`), never among the sign-off records, nor served as one."""
    settings = dataclasses.replace(make_settings(tmp_path), definitions_dir=agenda_definitions(tmp_path / "defs"))
    app = build(settings, clock=SimulatedClock(at_local(dt.date(2021, 7, 1), 9)))
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "findings"), AUTHOR)
    commands.issue(engine, BOARD, JULY, CLERK)
    handle_issues(app)
    with engine.sessions() as session:
        packs = [d.id for d in session.scalars(select(Document).where(Document.spec == "agenda_pack"))]
    assert packs, "the pack was made"
    found = public.meeting(engine, BOARD, JULY.isoformat())
    assert found is not None
    assert [d.title for d in found.records] == []
    assert not any(d.title.startswith("Agenda pack") for d in found.documents)
    assert all(public.public_file(engine, f"record-{pack}") is None for pack in packs)
    # The public report is still there, and the issued pack is listed once, as the meeting's agenda pack.
    assert sorted(d.kind for d in found.documents) == ["Agenda pack", "Report"]
    app.close()
