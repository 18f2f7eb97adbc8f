"""What someone who can write the database might change, and the sentence `cycle history verify` must say.

Shared by the embedded (tests/test_audit_chain.py) and PostgreSQL (tests/integration/test_audit_chain_postgres.py)
tests: a keyed cycle with a decision of every kind of attendance, then one change per scenario.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import DEFINITIONS
from tests.helpers import AUTHOR, CLERK, CYCLE, meet, paper_file
from workflow.app import App
from workflow.cli import main

KEY = b"a-test-audit-key-of-more-than-32-bytes-0123456789"
OTHER_KEY = b"another-audit-key-of-more-than-32-bytes-9876543210"

# (scenario, statements (decision 1 is the first decision), what verify must say)
REWRITES = {
    "vote": (["UPDATE decision_attendees SET vote = 'for' WHERE person = 'police_area_commander'"],
             "(mk_together, 'early_findings') was changed after history row {decide} recorded it (changed: votes)"),
    "resolution": (["UPDATE decisions SET resolution = 'That the early findings be rejected.'"],
                   "(mk_together, 'early_findings') was changed after history row {decide} recorded it "
                   "(changed: resolution)"),
    "attendance": (["UPDATE decision_attendees SET attendance = 'present' "
                    "WHERE person = 'deputy_director_public_health'"],
                   "(mk_together, 'early_findings') was changed after history row {decide} recorded it "
                   "(changed: attendance)"),
    "interest": (["UPDATE decision_attendees SET interest = NULL WHERE person = 'director_policy'"],
                 "(changed: declared interests)"),
    "stage": (["UPDATE cycles SET state = 'adopted', status = 'complete'"],
              f"cycle {CYCLE}: is at 'adopted' (complete) but its history ends at 'assessment_sign_off'"),
    "status": (["UPDATE cycles SET status = 'complete'"],
               f"cycle {CYCLE}: is marked complete but its history ends at 'assessment_sign_off', where it is active"),
    "decision removed": (["DELETE FROM decision_attendees", "DELETE FROM decisions"],
                         "decision {decision}, recorded in history row {decide}, is missing from the decisions table"),
}


def keyed(app: App, tmp_path: Path, key: bytes = KEY, name: str = "audit.key") -> App:
    """The same database, opened by an application that seals with `key` (a file outside the database)."""
    from workflow.app import build

    path = tmp_path / name
    path.write_bytes(key + b"\n")
    return build(dataclasses.replace(app.settings, audit_key_file=path), clock=app.engine.clock)


def decided(app: App, tmp_path: Path) -> dict[str, int]:
    """Start, attach, a decision with votes each way, an apology, a non-voter present and an interest, a fire.

    Returns the ids verify's sentences name: the decide row and the decision.
    """
    app.engine.start("community_safety_strategy", 2021, AUTHOR)
    app.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), AUTHOR)
    meet(app, "mk_together", "early_findings")
    recorded = app.engine.decide(
        CYCLE, "mk_together", "early_findings", CLERK,
        votes_for=["council_chief_executive", "director_childrens_services", "director_policy"],
        votes_against=["police_area_commander"], abstain=["ccg_chief_operating_officer"],
        apologies=["deputy_director_public_health"], present=["head_of_partnerships"],
        interests={"director_policy": "Trustee of a charity the findings name"},
        resolution="That the early findings be noted and the assessment proceed.")
    app.engine.fire(CYCLE, "discuss_early_findings", AUTHOR)
    decide_row = next(h["id"] for h in app.engine.history(CYCLE) if h["action"] == "decide")
    return {"decide": decide_row, "decision": recorded.decision_id}


def verify(app: App, *args: str, key_file: Path | None = None) -> tuple[int, str]:
    """`cycle history verify ARGS` as an operator runs it, with or without the audit key."""
    env = {"CYCLE_DATA_DIR": str(app.settings.data_dir), "CYCLE_DEFINITIONS_DIR": str(DEFINITIONS),
           "CYCLE_DATABASE_URL": "" if app.settings.embedded else app.settings.database_url,
           "CYCLE_AUDIT_KEY_FILE": str(key_file) if key_file else ""}
    result = CliRunner().invoke(main, ["history", "verify", *args], env=env)
    return result.exit_code, result.output


def anchor(app: App, tmp_path: Path, key_file: Path | None = None) -> Path:
    """The operator's anchor: an earlier run's --json output, kept outside the database."""
    code, output = verify(app, "--json", key_file=key_file)
    assert code == 0, output
    assert json.loads(output)["ok"] is True
    path = tmp_path / "anchor.json"
    path.write_text(output, encoding="utf-8")
    return path


def forged_row(seal: str | None, embedded: bool) -> str:
    """A history row added by someone holding the database credential but not the key."""
    at = "'2021-07-02 09:00:00.000000'" if embedded else "'2021-07-02T09:00:00Z'"
    sealed = "NULL" if seal is None else f"'{seal}'"
    return ("INSERT INTO history (cycle_id, at, actor, action, trigger, strand, from_state, to_state, comment, "
            f"data, seal) SELECT id, {at}, 'head_of_partnerships', 'note', NULL, NULL, state, state, "
            f"'Nothing to see', '{{}}', {sealed} FROM cycles")
