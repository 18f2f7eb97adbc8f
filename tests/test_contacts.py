"""Outside parties: a definition's case roles, and a cycle's contacts in them, added, listed and removed by an officer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEFINITIONS
from tests.helpers import CYCLE
from workflow.cli import main
from workflow.definition.loader import load_definition
from workflow.errors import DefinitionError

SHIPPED = (DEFINITIONS / "community_safety_strategy.yaml").read_text()
CASE_ROLES = "case_roles:\n  family_contact: {title: Family contact}\n\npermissions:\n"
GRANT = "  attach: [report_author, consultation_lead, committee_manager]\n"


def with_case_roles(text: str = SHIPPED, *, grant: bool = True) -> str:
    text = text.replace("permissions:\n", CASE_ROLES, 1)
    return text.replace(GRANT, GRANT + "  contacts: [report_author]\n", 1) if grant else text


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "templates").symlink_to(DEFINITIONS / "templates")
    (folder / "community_safety_strategy.yaml").write_text(with_case_roles())
    return folder


@pytest.fixture
def cli(tmp_path: Path, defs: Path):  # type: ignore[no-untyped-def]
    env = {"CYCLE_DATA_DIR": str(tmp_path / "data"), "CYCLE_DATABASE_URL": "",
           "CYCLE_DEFINITIONS_DIR": str(defs), "CYCLE_NOW": "2021-07-13T10:00:00+01:00"}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert run("start", "community_safety_strategy", "--year", "2021", "--as", "head_of_partnerships").exit_code == 0
    return run


def _problems(text: str, tmp_path: Path) -> str:
    path = tmp_path / "community_safety_strategy.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as raised:
        load_definition(path, templates_dir=DEFINITIONS / "templates")
    return str(raised.value)


def test_a_definition_declares_case_roles_and_who_may_give_a_cycle_its_contacts(defs: Path, tmp_path: Path) -> None:
    loaded = load_definition(defs / "community_safety_strategy.yaml", templates_dir=DEFINITIONS / "templates")
    assert loaded.case_roles["family_contact"] == "Family contact"
    assert loaded.permissions["contacts"] == ("report_author",)
    assert "no role may add a cycle's contacts" in _problems(with_case_roles(grant=False), tmp_path)


def test_only_reminders_may_be_addressed_to_a_case_role(tmp_path: Path) -> None:
    to_contact = with_case_roles().replace("to: [board_voting, board_chair, owner]",
                                           "to: [board_voting, case_role:family_contact]", 1)
    assert load_definition(_write(tmp_path, to_contact), templates_dir=DEFINITIONS / "templates").reminders[
        "board_decision"].recipients == ("board_voting", "case_role:family_contact")
    unknown = to_contact.replace("case_role:family_contact", "case_role:family_contcat", 1)
    assert "unknown case role 'family_contcat' — did you mean 'family_contact'?" in _problems(unknown, tmp_path)
    escalated = with_case_roles().replace("{after: 5, to: [board_chair]}", "{after: 5, to: [case_role:family_contact]}")
    found = _problems(escalated, tmp_path)
    assert "reminders.board_decision.escalate[0].to" in found and "not documents, papers or escalations" in found
    noticed = with_case_roles().replace("notify: [board_members, owner]", "notify: [board_members, case_role:family_contact]")
    found = _problems(noticed, tmp_path)
    assert ".notify: 'case_role:family_contact' is someone outside the directory" in found


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "community_safety_strategy.yaml"
    path.write_text(text)
    return path


def test_an_officer_adds_lists_and_removes_a_cycles_contacts(cli) -> None:  # type: ignore[no-untyped-def]
    added = cli("contacts", "add", CYCLE, "--role", "family_contact", "--name", "Ann  Example",
                "--address", "1 High Street, Milton Keynes, MK1 1AA", "--as", "head_of_partnerships")
    assert added.exit_code == 0, added.output
    assert "Family contact: Ann Example (1 High Street, Milton Keynes, MK1 1AA)" in added.output
    second = cli("contacts", "add", CYCLE, "--role", "family_contact", "--name", "Bob Example",
                 "--email", "bob@example.net", "--as", "head_of_partnerships")
    assert second.exit_code == 0, second.output
    listed = json.loads(cli("contacts", "list", CYCLE, "--as", "head_of_partnerships", "--json").output)
    assert [(c["id"], c["name"], c["email"], c["address"]) for c in listed] == [
        (1, "Ann Example", None, "1 High Street\nMilton Keynes\nMK1 1AA"), (2, "Bob Example", "bob@example.net", None)]
    removed = cli("contacts", "remove", CYCLE, "1", "--as", "head_of_partnerships")
    assert removed.exit_code == 0 and "nothing more is sent to them" in removed.output
    listed = json.loads(cli("contacts", "list", CYCLE, "--as", "head_of_partnerships", "--json").output)
    assert [c["name"] for c in listed] == ["Bob Example"]
    again = cli("contacts", "remove", CYCLE, "1", "--as", "head_of_partnerships")
    assert again.exit_code != 0 and "has no contact 1" in again.output and "Traceback" not in again.output


@pytest.mark.parametrize(("args", "said"), [
    (("--role", "family_contact", "--name", "Ann", "--as", "police_area_commander"), "cannot manage the contacts of cycles of 'community_safety_strategy'"),
    (("--role", "family_contacts", "--name", "Ann", "--email", "a@example.net", "--as", "head_of_partnerships"),
     "no case role 'family_contacts' — did you mean 'family_contact'?"),
    (("--role", "family_contact", "--name", "Ann", "--as", "head_of_partnerships"),
     "needs an email, a postal address or both"),
    (("--role", "family_contact", "--name", "Ann", "--email", "not an address", "--as", "head_of_partnerships"),
     "'not an address' is not an email address"),
    (("--role", "family_contact", "--name", "  ", "--email", "a@example.net", "--as", "head_of_partnerships"),
     "a contact's name is 1 to 200 characters"),
])
def test_a_wrong_contact_is_one_sentence_and_nothing_is_written(cli, args: tuple[str, ...], said: str) -> None:  # type: ignore[no-untyped-def]
    refused = cli("contacts", "add", CYCLE, *args)
    assert refused.exit_code != 0 and said in refused.output, refused.output
    assert "Traceback" not in refused.output
    listed = cli("contacts", "list", CYCLE, "--as", "head_of_partnerships")
    assert "has no contacts" in listed.output


def test_contacts_are_personal_data_listed_only_to_those_who_manage_them(cli) -> None:  # type: ignore[no-untyped-def]
    cli("contacts", "add", CYCLE, "--role", "family_contact", "--name", "Ann Example", "--email", "ann@example.net",
        "--as", "head_of_partnerships")
    refused = cli("contacts", "list", CYCLE, "--as", "police_area_commander")
    assert refused.exit_code != 0 and "cannot see the contacts" in refused.output
    assert "ann@example.net" not in refused.output and "Ann" not in refused.output
