"""The definition's words, never its ids: what a person reads for a step, a strand action or an item."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from notifications.record_parts import entry
from tests.helpers import AUTHOR, CLERK, CYCLE, LEAD, carry, paper_file
from workflow.app import App
from workflow.definition.loader import load_definition
from workflow.errors import InvalidInput
from workflow.reads.status import ahead_of
from workflow.store.models import HistoryEntry

SHIPPED = Path(__file__).resolve().parent.parent / "definitions" / "community_safety_strategy.yaml"


def test_titles_are_given_or_derived_where_unambiguous() -> None:
    definition = load_definition(SHIPPED)
    assert definition.trigger_title("hold", "engagement") == "Record the sessions as held"
    assert definition.trigger_title("close", "survey") == "Close the survey"
    assert definition.item_title("risk_board", "priorities") == "Priorities for the Community Safety Strategy"
    # An item named after a paper reads as the paper's title; one titled at one board reads so at the next.
    assert definition.item_title("mk_together", "early_findings") == "Strategic assessment - early findings"
    assert definition.item_title("mk_together", "final_draft") == "Community Safety Strategy - final draft"


def test_coming_up_holds_only_the_stages_ahead_and_their_meetings() -> None:
    definition = load_definition(SHIPPED)
    ahead = ahead_of(definition, "consultation")
    assert {"final_draft_sign_off", "risk_board_february", "safer_mk_march", "scrutiny_november"} <= ahead
    assert not {"early_findings", "priorities", "mk_together_july", "risk_board_september"} & ahead


def test_a_refused_strand_action_and_a_second_decision_name_titles(app: App, tmp_path: Path) -> None:
    app.engine.start(SHIPPED, 2021, AUTHOR)
    steps = [("early_findings", ["early_findings"], "mk_together", "discuss_early_findings"),
             ("strategic_assessment", ["strategic_assessment"], "risk_board", "sign_off_assessment"),
             ("strategic_assessment", [], "safer_mk", "present_assessment"),
             ("priorities", ["recommended_priorities", "consultation_plan"], "risk_board", "agree_priorities")]
    for item, papers, board, trigger in steps:
        for paper in papers:
            app.engine.attach(CYCLE, paper, paper_file(tmp_path, paper), AUTHOR)
        carry(app, board, item)
        app.engine.fire(CYCLE, trigger, AUTHOR)
    with pytest.raises(Exception) as refused:
        app.engine.fire(CYCLE, "report", LEAD, strand="parish_town_councils")
    said = str(refused.value)
    assert "'Report what the sessions heard' cannot be fired while the strand 'Parish and Town Councils'" in said
    assert "'Record the sessions as held'" in said and "hold" not in said.replace("held", "")
    with pytest.raises(InvalidInput) as again:
        carry(app, "risk_board", "priorities")
    assert "on 'Priorities for the Community Safety Strategy'" in str(again.value)
    assert "'priorities'" not in str(again.value)
    assert CLERK


def test_a_record_names_strand_actions_and_items_by_their_titles(app: App, tmp_path: Path) -> None:
    """The audit trail a sign-off record and its email carry reads the definition's words."""
    app.engine.start(SHIPPED, 2021, AUTHOR)
    for paper in ("early_findings", "recommended_priorities", "consultation_plan"):
        app.engine.attach(CYCLE, paper, paper_file(tmp_path, paper), AUTHOR)
    for board, item, trigger in [("mk_together", "early_findings", "discuss_early_findings"),
                                 ("risk_board", "strategic_assessment", "sign_off_assessment"),
                                 ("safer_mk", "strategic_assessment", "present_assessment"),
                                 ("risk_board", "priorities", "agree_priorities")]:
        if trigger == "sign_off_assessment":
            app.engine.attach(CYCLE, "strategic_assessment", paper_file(tmp_path, "sa"), AUTHOR)
        carry(app, board, item)
        app.engine.fire(CYCLE, trigger, AUTHOR)
    app.engine.fire(CYCLE, "launch", LEAD, strand="online_survey")
    definition = load_definition(SHIPPED)
    with app.engine.sessions() as session:
        rows = session.scalars(select(HistoryEntry).order_by(HistoryEntry.id)).all()
        said = [entry(definition, h, session, None)["summary"] for h in rows]
    assert "SaferMK Community Safety Survey (online): Open the survey (preparing to open)" in said
    assert any("on 'Priorities for the Community Safety Strategy': carried" in s for s in said), said
    assert not any(": launch " in s or "'priorities'" in s for s in said)
