"""Moving a meeting moves the dates of the stage signed off at it: its due date, reminders and overdue deadline.

The Risk Board's August meeting (Thursday 19 August 2021) moves a week, to Thursday 26 August.
The stage it signs off is then due on the 26th in `status`; its reminders still to go are planned
from the 26th by working days (Monday 30 August is a bank holiday); the reminder sent on 5 August
is not sent again when its date comes round anew; the history says what moved; and the board's
decision is dated by the meeting as moved.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from notifications import reminders
from notifications.documents import Documents
from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CLERK, CYCLE, counts, paper_file
from web.access import KnownCycles
from web.taking_part import cycles_taking_part
from workflow.app import App
from workflow.commands.meetings import change_meeting
from workflow.commands.sweep import Sweeper
from workflow.reads.mywork import my_work
from workflow.store.models import Deadline, HistoryEntry, Mail, OutboxEvent
from workflow.store.outbox import Handlers
from workflow.time.clock import LOCAL, at_local
from workflow.time.deadlines import plan_stage

MOVED_TO = dt.date(2021, 8, 26)


def _run(app: App, at: dt.datetime) -> None:
    """The workers' planning and sweep at `at`, in this process."""
    engine = app.engine
    engine.clock.set(at)  # type: ignore[attr-defined]
    handlers = Handlers()
    handlers.on("StageEntered", "deadlines", functools.partial(plan_stage, engine))
    handlers.on("StageEntered", "reminders", functools.partial(reminders.plan, engine))
    with engine.sessions() as session:
        pending = session.scalars(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None))).all()
    for event_id in pending:
        handlers.handle(engine, event_id)
    Sweeper(engine, {reminders.REMINDER: reminders.send_action(engine, "example.org")}).sweep()


def _at_risk_board_sign_off(app: App, tmp_path: Path) -> None:
    engine = app.engine
    engine.start(SHIPPED, 2021, AUTHOR)
    engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    engine.clock.set(at_local(dt.date(2021, 7, 14), 10))  # type: ignore[attr-defined]
    engine.decide(CYCLE, "mk_together", "early_findings", CLERK,
                  votes_for=["director_policy", "police_area_commander", "ccg_chief_operating_officer"])
    engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    _run(app, at_local(dt.date(2021, 8, 6), 10))  # the "10 working days before" reminder went on 5 August


def _deadlines(app: App) -> dict[str, tuple[str, dt.datetime]]:
    """The current stage's deadlines: (rule or kind) -> (status, local time due)."""
    with app.engine.sessions() as session:
        rows = session.scalars(select(Deadline).where(Deadline.stage == "assessment_sign_off")).all()
        return {row.key.split(":", 1)[1]: (row.status, row.due_at.astimezone(LOCAL).replace(tzinfo=None))
                for row in rows}


def _mail(app: App, label: str) -> list[Mail]:
    with app.engine.sessions() as session:
        return list(session.scalars(select(Mail).where(Mail.key.contains(f":reminder:{label}:"))))


def test_moving_the_meeting_moves_the_stage_due_date_reminders_and_overdue(app: App, tmp_path: Path) -> None:
    _at_risk_board_sign_off(app, tmp_path)
    assert app.engine.status(CYCLE).due == "2021-08-19"
    sent_early = len(_mail(app, "board_decision:before:10"))
    assert sent_early == 6, "the Risk Board's voting members and the report author, on 5 August"

    change_meeting(app.engine, CYCLE, "risk_board_august", CLERK, reason="The chair is at a national conference",
                   day=MOVED_TO)

    assert app.engine.status(CYCLE).due == "2021-08-26"
    assert {item.due for item in my_work(app.engine, AUTHOR)} == {MOVED_TO}, "My work agrees with status"
    author = app.engine.catalog.load(SHIPPED).people[AUTHOR].email
    assert [c["due"] for c in cycles_taking_part(app.engine, KnownCycles(app.engine), author)] == [MOVED_TO]
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'cycle.db'}",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS)}
    shown = CliRunner().invoke(main, ["status", CYCLE, "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["due"] == "2021-08-26"
    nine = dt.time(9)
    assert _deadlines(app) == {
        "stage_overdue::": ("pending", dt.datetime.combine(dt.date(2021, 8, 27), nine)),
        "reminder:board_decision:before:10": ("done", dt.datetime.combine(dt.date(2021, 8, 5), nine)),
        "reminder:board_decision:before:3": ("pending", dt.datetime.combine(dt.date(2021, 8, 23), nine)),
        "reminder:board_decision:due:0": ("pending", dt.datetime.combine(MOVED_TO, nine)),
        # Five working days after Thursday 26 August, skipping the bank holiday on Monday 30 August.
        "reminder:board_decision:overdue:5": ("pending", dt.datetime.combine(dt.date(2021, 9, 3), nine)),
        "reminder:papers_due:before:15": ("done", dt.datetime.combine(dt.date(2021, 7, 29), nine)),
    }
    with app.engine.sessions() as session:
        last = session.scalars(select(HistoryEntry).order_by(HistoryEntry.id.desc()).limit(2)).all()
    assert [h.action for h in reversed(last)] == ["meeting", "rescheduled"]
    assert last[0].data | {"os_account": None} == {"stage": "assessment_sign_off", "meeting": "risk_board_august",
                                                   "from": "2021-08-19", "to": "2021-08-26", "deadlines": 4,
                                                   "os_account": None}
    assert last[0].actor == CLERK and last[0].comment == "The chair is at a national conference"
    with app.engine.sessions() as session:
        definition = app.engine.catalog.load(SHIPPED)
        trail = [Documents._entry(definition, h, session, None)["summary"] for h in reversed(last)]
    assert trail == ["moved the Risk Board (August) to 26 August 2021 at 10:00. Reason: The chair is at a national "
                     "conference", "\u201cStrategic assessment signed off\u201d is now due on 26 August 2021, with its "
                     "meeting"], "the audit trail of the next record, in words"

    # 12 August is ten working days before the 26th: the reminder already sent does not go again.
    _run(app, at_local(dt.date(2021, 8, 12), 10))
    assert len(_mail(app, "board_decision:before:10")) == sent_early
    _run(app, at_local(dt.date(2021, 8, 23), 10))
    three_days = _mail(app, "board_decision:before:3")
    assert len(three_days) == 6
    assert all("Thursday 26 August 2021" in m.subject + m.text_body for m in three_days)
    assert all("19 August" not in m.text_body for m in three_days)

    # The board meets on the 26th: its decision is dated by the meeting as moved.
    app.engine.clock.set(at_local(MOVED_TO, 12))  # type: ignore[attr-defined]
    decided = app.engine.decide(CYCLE, "risk_board", "strategic_assessment", CLERK,
                                votes_for=["police_area_commander", "fire_group_commander", "probation_manager"])
    decision = next(d for d in app.engine.status(CYCLE).decisions if d["id"] == decided.decision_id)
    assert decision["meeting_date"] == "2021-08-26"


def test_moving_a_meeting_the_stage_does_not_wait_for_leaves_its_dates(app: App, tmp_path: Path) -> None:
    _at_risk_board_sign_off(app, tmp_path)
    before = _deadlines(app)
    change_meeting(app.engine, CYCLE, "risk_board_september", CLERK, reason="Clashes with the budget",
                   day=dt.date(2021, 9, 30))
    assert app.engine.status(CYCLE).due == "2021-08-19"
    assert _deadlines(app) == before
    with app.engine.sessions() as session:
        assert not session.scalars(select(HistoryEntry).where(HistoryEntry.action == "rescheduled")).all()


def test_a_stage_moved_after_falling_overdue_is_reminded_again_after_its_new_date(app: App, tmp_path: Path) -> None:
    _at_risk_board_sign_off(app, tmp_path)
    _run(app, at_local(dt.date(2021, 8, 27), 10))  # overdue: its reminder five working days late went on the 26th
    assert _deadlines(app)["reminder:board_decision:overdue:5"][0] == "done"
    change_meeting(app.engine, CYCLE, "risk_board_august", CLERK, reason="Not quorate in August",
                   day=dt.date(2021, 9, 9))
    pending = {key: when for key, (status, when) in _deadlines(app).items() if status == "pending"}
    # Every reminder before the day went already; the next overdue one, on the rule's rhythm of five working
    # days, counts from Thursday 9 September.
    assert pending == {"reminder:board_decision:overdue:10": dt.datetime(2021, 9, 23, 9)}
    assert app.engine.status(CYCLE).due == "2021-09-09"


def test_another_boards_committee_manager_cannot_move_the_meeting(app: App, tmp_path: Path) -> None:
    """The scrutiny officer keeps the Scrutiny Committee's calendar, not the Risk Board's: refused, naming the
    board, with nothing written; their own board's meeting moves. On 1 July 2021, both meetings still to come."""
    app.engine.start(SHIPPED, 2021, AUTHOR)
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'cycle.db'}",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-01T10:00:00+01:00"}
    before = counts(app)
    for verb, extra in (("move", ["--date", "2021-08-26"]), ("cancel", [])):
        refused = CliRunner().invoke(main, ["meeting", verb, CYCLE, "risk_board_august", *extra,
                                            "--reason", "Clashes with the budget", "--as", "scrutiny_officer"],
                                     env=env)
        assert refused.exit_code != 0
        assert ("Daniel Osei cannot move or cancel the meetings of the Risk Board: that is for its committee "
                "manager") in " ".join(refused.output.split())
        assert counts(app) == before
    assert app.engine.status(CYCLE).due == "2021-07-13"

    moved = CliRunner().invoke(main, ["meeting", "move", CYCLE, "scrutiny_november", "--date", "2021-11-30",
                                      "--reason", "The chair is away", "--as", "scrutiny_officer"], env=env)
    assert moved.exit_code == 0, moved.output
    assert counts(app)["outbox"] == before["outbox"] + 1


def test_the_scheduler_identity_cannot_move_a_meeting(app: App, tmp_path: Path) -> None:
    """`--as system` is refused with a sentence and a non-zero exit, as for any command, and nothing is written."""
    app.engine.start(SHIPPED, 2021, AUTHOR)
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": f"sqlite:///{tmp_path / 'cycle.db'}",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-01T10:00:00+01:00"}
    before = counts(app)
    refused = CliRunner().invoke(main, ["meeting", "move", CYCLE, "risk_board_august", "--date", "2021-08-26",
                                        "--reason", "Clashes with the budget", "--as", "system"], env=env)
    assert refused.exit_code != 0
    assert "'system' is the scheduler's own identity" in refused.output
    assert ("Traceback" not in refused.output and refused.exception is None) or isinstance(refused.exception, SystemExit)
    assert counts(app) == before
