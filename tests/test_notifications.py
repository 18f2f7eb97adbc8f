"""Reminder schedules, recipients, rendering and message building, without servers."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from notifications.delivery import Delivery, DeliveryPolicy
from notifications.links import Links, actions, context_links
from notifications.mail import OutboxMailer, PermanentFailure, TemporaryFailure, build_message
from notifications.recipients import resolve
from notifications.reminders import Renderer, context, recipients_for
from tasks.cli import main
from tests.conftest import DEFINITIONS, SHIPPED
from tests.helpers import AUTHOR, CYCLE
from workflow.app import App
from workflow.definition.calendar import Timeline
from workflow.definition.loader import load_definition
from workflow.definition.templating import REMINDER_CONTEXT
from workflow.errors import DefinitionError
from workflow.store.models import Mail
from workflow.time.clock import at_local
from workflow.time.reminder_times import Occurrence, first_occurrences

DEFINITION = load_definition(DEFINITIONS / f"{SHIPPED}.yaml")
STAGE = DEFINITION.stages["assessment_sign_off"]
RULE = DEFINITION.reminders["board_decision"]
DUE = dt.date(2021, 8, 19)


def test_occurrences_before_on_the_day_and_overdue() -> None:
    found = first_occurrences(RULE, DUE, at_local(dt.date(2021, 7, 13), 10))
    assert [(o.kind, o.n, o.when.date()) for o in found] == [
        ("before", 10, dt.date(2021, 8, 5)), ("before", 3, dt.date(2021, 8, 16)), ("due", 0, DUE),
        ("overdue", 5, dt.date(2021, 8, 26)),
    ], "escalation after 5 and 10 working days rides with the overdue reminders, every 5"
    assert all(o.when.astimezone(dt.UTC).hour == 8 for o in found), "09:00 in England is 08:00 UTC in summer"


def test_a_stage_entered_late_skips_reminders_already_past() -> None:
    found = first_occurrences(RULE, DUE, at_local(dt.date(2021, 8, 10), 10))
    assert [o.kind for o in found] == ["before", "due", "overdue"]


def test_recipients_and_escalation() -> None:
    on_time = recipients_for(DEFINITION, STAGE, RULE, Occurrence("board_decision", "before", 10, at_local(DUE)))
    assert on_time == ["police_area_commander", "head_of_partnerships", "fire_group_commander", "probation_manager",
                       "deputy_director_public_health", "head_of_youth_and_community"]
    late = recipients_for(DEFINITION, STAGE, RULE, Occurrence("board_decision", "overdue", 10, at_local(DUE)))
    assert late == [*on_time, "council_chief_executive"], "ten days overdue reaches the MK Together chair"
    assert resolve(DEFINITION, STAGE, ("role:committee_manager", "person:scrutiny_chair")) == \
        ["committee_manager", "scrutiny_chair"]


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_real_context_has_the_shape_templates_are_checked_against() -> None:
    occurrence = Occurrence("board_decision", "before", 10, at_local(dt.date(2021, 8, 5), 9))
    site = Links("https://cycle.example.org")
    papers = [{"title": "Annual Strategic Assessment", "sha256": "ab" * 32, "filename": "sa.pdf",
               "url": site.paper(12)}]
    found = actions(site, DEFINITION, CYCLE, STAGE, "committee_manager")  # who records the Risk Board's decisions
    real = context(DEFINITION, CYCLE, 2021, STAGE, RULE, occurrence, "committee_manager", papers,
                   Timeline(DEFINITION, 2021), links=context_links(site, found))
    assert _shape(real) == _shape(REMINDER_CONTEXT)
    subject, text, html = Renderer(DEFINITIONS / "templates").render(RULE, real)
    assert subject == "Risk Board: Strategic assessment signed off due Thursday 19 August 2021"
    assert "in 10 working days" in text
    assert "Annual Strategic Assessment" in html


def _definition_with_template(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "defs"
    shutil.copytree(DEFINITIONS / "templates", folder / "templates", dirs_exist_ok=True)
    (folder / "templates" / "reminder_board.txt.j2").write_text(body)
    target = folder / f"{SHIPPED}.yaml"
    shutil.copy(DEFINITIONS / f"{SHIPPED}.yaml", target)
    return target


def test_a_template_reaching_for_python_internals_is_refused_at_load(tmp_path: Path) -> None:
    path = _definition_with_template(tmp_path, "{{ recipient.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(DefinitionError, match="sandbox forbids") as refused:
        load_definition(path)
    assert refused.value.problems[0].field == "reminders.board_decision.template"


def test_a_template_using_a_variable_a_reminder_lacks_is_refused_at_load(tmp_path: Path) -> None:
    path = _definition_with_template(tmp_path, "Dear {{ recipient.title }}, see {{ agenda_link }}")
    with pytest.raises(DefinitionError, match="uses 'agenda_link', which it is not given"):
        load_definition(path)
    path = _definition_with_template(tmp_path, "Dear {{ recipient.nickname }}")
    with pytest.raises(DefinitionError, match="nickname"):
        load_definition(path)


def test_html_is_escaped_and_headers_stay_single_line() -> None:
    ctx = {**REMINDER_CONTEXT, "board": {"name": "<script>alert(1)</script>"}}
    _subject, _text, html = Renderer(DEFINITIONS / "templates").render(RULE, ctx)
    assert "<script>" not in html and "&lt;script&gt;" in html
    message = build_message(sender="a@example.org", sender_name="Cycle", to_name="Member\nBcc: x@example.net",
                            to_address="m@example.org", subject="Hi\r\nBcc: x@example.net", text="t", html="<p>t</p>",
                            dated=dt.datetime(2021, 8, 5, tzinfo=dt.UTC), message_id="<1@example.org>")
    raw = message.as_bytes()
    assert b"\nBcc:" not in raw and b"\r\nBcc:" not in raw


class FlakyMailer:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.sent: list[Any] = []

    def send(self, message: Any, before_data: Any = None) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def _queue_one(app: App) -> int:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    now = app.engine.clock.now()
    with app.engine.unit_of_work() as session:
        row = Mail(key="k1", cycle_id=1, kind="reminder", person="fire_group_commander",
                   recipient="fire.commander@example.org", subject="S", text_body="T", html_body="<p>T</p>",
                   attachments={}, message_id="<k1@example.org>", dated=now, status="pending", attempts=0,
                   next_attempt_at=dt.datetime.now(dt.UTC), created_at=now)
        session.add(row)
        session.flush()
        return row.id


def test_delivery_retries_temporary_failures_and_gives_up_on_permanent_ones(app: App) -> None:
    mail_id = _queue_one(app)
    mailer = FlakyMailer([TemporaryFailure("421 try later")])
    delivery = Delivery(app.engine, mailer, DeliveryPolicy(retry_base=0.0))
    assert delivery.deliver(mail_id).retrying == [mail_id]
    assert delivery.deliver(mail_id).sent == [mail_id]
    assert delivery.deliver(mail_id).sent == [], "a sent mail is never sent again"
    assert len(mailer.sent) == 1
    failing = Delivery(app.engine, FlakyMailer([PermanentFailure("550 no such user")]), DeliveryPolicy())
    with app.engine.unit_of_work() as session:
        session.get(Mail, mail_id).status = "pending"  # type: ignore[union-attr]
    assert failing.deliver(mail_id).failed == [mail_id]
    with app.engine.sessions() as session:
        row = session.get(Mail, mail_id)
        assert row is not None and row.status == "failed" and "550" in (row.last_error or "")


def test_outbox_mailer_writes_eml_files(app: App, tmp_path: Path) -> None:
    mail_id = _queue_one(app)
    Delivery(app.engine, OutboxMailer(tmp_path / "outbox"), DeliveryPolicy()).deliver(mail_id)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    assert b"To: Steve Barker <fire.commander@example.org>" in written.read_bytes()


def test_reminders_preview_command(tmp_path: Path) -> None:
    env = {"CYCLE_DATA_DIR": str(tmp_path), "CYCLE_DATABASE_URL": "", "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
           "CYCLE_NOW": "2021-07-01T08:00:00+00:00"}
    result = CliRunner().invoke(main, ["reminders", "preview", SHIPPED, "--year", "2021", "--json",
                                       "--until", "2021-07-31"], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # Papers are due 15 working days before 13 July, which had passed on 1 July: that reminder goes at once.
    assert {r["when"][:10] for r in rows} == {"2021-07-01", "2021-07-08", "2021-07-13", "2021-07-29"}
    assert rows[0]["subject"].startswith("Papers due: Early findings")
    assert rows[1]["subject"].startswith("MK Together Management Board: Early findings")
    shown = CliRunner().invoke(main, ["reminders", "preview", SHIPPED, "--year", "2021", "--show", "2"], env=env)
    assert "in 3 working days" in shown.output
    missing = CliRunner().invoke(main, ["reminders", "preview", "nothing-2021"], env=env)
    assert missing.exit_code == 3 and "give --year" in missing.stderr
