"""`cycle users`, `cycle tokens` and `cycle mywork`, as the operator uses them on the server."""

from __future__ import annotations

import email
import email.policy
import getpass
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from tests.conftest import DEFINITIONS
from web.cli import main

OFFICER = "head.partnerships@example.org"


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS), "CYCLE_NOW": "2021-07-20T10:00:00+01:00"}

    def run(*args: str, **extra: str) -> Result:
        return CliRunner().invoke(main, list(args), env={**env, **extra})

    run.database = tmp_path / "data" / "cycle.db"  # type: ignore[attr-defined]
    return run


def rows(cli, sql: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{cli.database}")
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.execute(text(sql))]
    engine.dispose()
    return found


def test_accounts_are_for_people_of_the_directory(cli) -> None:  # type: ignore[no-untyped-def]
    added = cli("users", "add", OFFICER, CYCLE_NEW_PASSWORD="a long enough password")
    assert added.exit_code == 0, added.output
    stranger = cli("users", "add", "stranger@example.org", CYCLE_NEW_PASSWORD="a long enough password")
    assert stranger.exit_code == 3
    assert "no definition's directory lists stranger@example.org" in stranger.output
    malformed = cli("users", "add", "bob@@", "--admin", CYCLE_NEW_PASSWORD="a long enough password")
    assert malformed.exit_code == 3
    assert "'bob@@' is not an email address: the part after the @-sign contains invalid characters" in malformed.output
    assert "Traceback" not in malformed.output
    short = cli("users", "add", "committee.manager@example.org", CYCLE_NEW_PASSWORD="short")
    assert short.exit_code == 3 and "at least 12 characters" in short.output
    stored = rows(cli, "SELECT email, password_hash FROM accounts")
    assert [email for email, _ in stored] == [OFFICER]
    assert str(stored[0][1]).startswith("$argon2id$")


def test_an_invitation_is_emailed_at_once_and_its_token_kept_only_as_sha256(cli) -> None:  # type: ignore[no-untyped-def]
    invited = cli("users", "invite", "committee.manager@example.org")
    assert invited.exit_code == 0, invited.output
    [(recipient, kind, status, body, html)] = rows(cli, "SELECT recipient, kind, status, text_body, html_body FROM mail")
    assert (recipient, kind, status) == ("committee.manager@example.org", "account", "sent")
    masked = "http://127.0.0.1:8000/auth/set-password?token=[sent-once-not-kept]"
    assert masked in str(body) and masked in str(html)
    # The message that left (the embedded default's outbox: the addressee's mailbox) carries the token ...
    [sent] = list((cli.database.parent / "outbox").glob("*.eml"))
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    text_part = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    token = re.search(r"set-password\?token=([A-Za-z0-9_-]{20,})", text_part).group(1)  # type: ignore[union-attr]
    # ... and the database holds only its SHA-256, in the link's row, nowhere else.
    [(stored,)] = rows(cli, "SELECT token_hash FROM account_links")
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    every_row = json.dumps([rows(cli, f"SELECT * FROM {table}") for table in ("mail", "account_links", "accounts")],
                           default=str)
    assert token not in every_row


def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(cli) -> None:  # type: ignore[no-untyped-def]
    cli("users", "add", OFFICER, CYCLE_NEW_PASSWORD="a long enough password")
    created = cli("tokens", "create", "--as", OFFICER, "--name", "nightly report")
    secret = created.output.strip()
    assert created.exit_code == 0 and secret.startswith("cyc_")
    listed = cli("tokens", "list", "--as", OFFICER)
    assert "nightly report" in listed.output and "active" in listed.output and secret not in listed.output
    assert secret not in json.dumps(rows(cli, "SELECT * FROM api_tokens"))
    assert cli("tokens", "revoke", "--as", OFFICER, "1").exit_code == 0
    assert "revoked" in cli("tokens", "list", "--as", OFFICER).output


def test_mywork_and_the_operating_system_account_in_the_history(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("start", "community_safety_strategy", "--year", "2021", "--as", "head_of_partnerships").exit_code == 0
    work = cli("mywork", "--as", OFFICER, "--json")
    assert work.exit_code == 0, work.output
    assert [(w["kind"], w["paper"], w["overdue"]) for w in json.loads(work.output)] == [
        ("attach", "early_findings", True)]
    history = json.loads(cli("history", "community_safety_strategy-2021", "--json").output)
    assert history[0]["data"]["os_account"] == getpass.getuser()


def test_an_upgrade_masks_the_tokens_earlier_versions_kept_in_account_emails(tmp_path: Path) -> None:
    from workflow.store import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'cycle.db'}")
    db.upgrade(engine, "0005f")
    whole = "http://127.0.0.1:8000/auth/set-password?token=Abc_123-xyz"
    with engine.begin() as connection:
        for n, status in ((1, "sent"), (2, "pending")):
            connection.execute(text(
                "INSERT INTO mail (id, key, cycle_id, kind, person, recipient, subject, text_body, html_body, "
                "attachments, message_id, dated, status, attempts, next_attempt_at, created_at) VALUES "
                f"({n}, 'account:invite:{n}', NULL, 'account', 'a@example.org', 'a@example.org', 'Invited', "
                f"'Choose here:\n{whole}\n', '<a href=\"{whole}\">{whole}</a>', '{{}}', 'm{n}', "
                f"'2026-12-01 10:00:00', '{status}', 0, '2026-12-01 10:00:00', '2026-12-01 10:00:00')"))
    db.upgrade(engine)
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.execute(text("SELECT status, text_body, html_body FROM mail ORDER BY id"))]
    engine.dispose()
    assert [status for status, *_ in found] == ["sent", "failed"]  # a dead link is not sent
    assert all("Abc_123-xyz" not in text_body + html for _, text_body, html in found)
    assert all("token=[sent-once-not-kept]" in text_body for _, text_body, _html in found)
