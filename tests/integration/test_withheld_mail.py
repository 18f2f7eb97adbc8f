"""Mail queued before a migration is not handed over to a recipient the migration made no longer entitled.

The Deputy Director of Public Health, a voting Risk Board member who only advises Safer MK (the later board
that decides on the paper), is emailed the board's exempt paper; before a worker sends it, `cycle migrate`
makes them an observer of the Risk Board. Delivering it to a real SMTP server sends nothing: the
row is failed with a sentence, and queueing it again is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.delivery import Delivery, DeliveryPolicy, retry
from notifications.mail import SmtpMailer
from tests.conftest import SHIPPED_VERSION
from tests.integration.smtp import SmtpServer
from tests.integration.web.test_migrated_entitlement import (  # noqa: F401 (the fixture)
    CYCLE,
    MEMBER_EMAIL,
    cli,
    mail_of,
    published,
    running,
    version_two,
)
from workflow.app import App
from workflow.errors import InvalidInput
from workflow.store.models import Mail

WITHHELD = "withheld: the recipient is no longer entitled to what it carries"


def test_mail_to_a_member_made_an_observer_is_withheld_not_sent(
        running: tuple[App, dict[str, str]], tmp_path: Path, smtp: SmtpServer) -> None:  # noqa: F811
    app, env = running
    assert app.engine.start("community_safety_strategy", 2021, "head_of_partnerships").cycle == CYCLE
    published(app, tmp_path)
    member_mail = mail_of(app, MEMBER_EMAIL)
    version_two(Path(env["CYCLE_DEFINITIONS_DIR"]))
    cli(env, "migrate", CYCLE, "--to-version", str(SHIPPED_VERSION + 1), "--as", "head_of_partnerships")

    delivery = Delivery(app.engine, SmtpMailer(smtp.url, timeout=5), DeliveryPolicy())
    report = delivery.deliver(member_mail)
    assert report.failed == [member_mail] and report.sent == []
    assert not [r for r in smtp.received if MEMBER_EMAIL in r.rcpt_tos], "nothing reached the observer"
    with app.engine.sessions() as session:
        row = session.get(Mail, member_mail)
        assert row is not None and (row.status, row.last_error) == ("failed", WITHHELD)
    with pytest.raises(InvalidInput, match="no longer entitled"):
        retry(app.engine, member_mail)

    # Everyone still entitled is sent theirs; the old address of an id given to someone else is not.
    moved = mail_of(app, "fire.commander@example.org")
    rest = delivery.deliver_due()
    assert rest.sent and rest.failed == [moved]
    received = {address for r in smtp.received for address in r.rcpt_tos}
    assert received and not received & {MEMBER_EMAIL, "fire.commander@example.org"}
