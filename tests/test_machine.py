"""The compiled machine, table-driven: what each trigger does from each stage, for whom, behind which gates."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import DEFINITIONS
from workflow.definition.calendar import Timeline
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.loader import load_definition
from workflow.definition.machine import FireContext, MachineCache
from workflow.errors import GateNotMet, NotAllowedFromHere, Refused, RoleMissing, UnknownTrigger

DEFINITION = load_definition(DEFINITIONS / "community_safety_strategy.yaml")
COMPILED = MachineCache().get(DEFINITION)
CARRIED = DecisionFact("carried", 4, 4)
AUTHOR = ("report_author",)


def facts(*, decisions=None, papers=(), strands=None, today=dt.date(2021, 8, 19)) -> Facts:  # type: ignore[no-untyped-def]
    return Facts(today=today, timeline=Timeline(DEFINITION, 2021), decisions=decisions or {},
                 papers=set(papers), strands=strands or {})


CASES = [
    # (stage, trigger, roles, facts, expected destination or error, message fragment)
    ("early_findings", "discuss_early_findings", AUTHOR,
     facts(decisions={("mk_together", "early_findings"): CARRIED}, papers=["early_findings"]), "assessment_sign_off", ""),
    ("early_findings", "discuss_early_findings", AUTHOR, facts(papers=["early_findings"]), GateNotMet,
     "has not yet recorded its decision"),
    ("early_findings", "discuss_early_findings", AUTHOR,
     facts(decisions={("mk_together", "early_findings"): CARRIED}), GateNotMet, "not attached yet"),
    ("early_findings", "discuss_early_findings", AUTHOR,
     facts(decisions={("mk_together", "early_findings"): DecisionFact("deferred", 2, 2)}, papers=["early_findings"]),
     GateNotMet, "was deferred, not carried"),
    ("early_findings", "discuss_early_findings", ("committee_manager",), facts(), RoleMissing, "report_author"),
    ("early_findings", "adopt_strategy", AUTHOR, facts(), NotAllowedFromHere,
     "from here: .Early findings discussed at MK Together Management Board."),
    ("early_findings", "to_adopted", AUTHOR, facts(), UnknownTrigger, "no trigger 'to_adopted'"),
    ("assessment_sign_off", "sign_off_assessment", AUTHOR,
     facts(decisions={("risk_board", "strategic_assessment"): CARRIED}, papers=["strategic_assessment"]),
     "assessment_presented", ""),
    ("assessment_presented", "present_assessment", AUTHOR,
     facts(decisions={("safer_mk", "strategic_assessment"): CARRIED}), "priorities", ""),
    ("priorities", "agree_priorities", AUTHOR,
     facts(decisions={("risk_board", "priorities"): CARRIED}, papers=["recommended_priorities"]), GateNotMet,
     "Stakeholder consultation and engagement plan"),
    ("consultation", "close_consultation", AUTHOR,
     facts(strands={"online_survey": ("consultation", "open", False), "council_members": ("consultation", "reported", True)}),
     GateNotMet, "SaferMK Community Safety Survey"),
    ("consultation", "close_consultation", ("system",),
     facts(strands={"online_survey": ("consultation", "closed", True)}), "final_draft_sign_off", ""),
    ("final_draft_agreed", "agree_final_draft", AUTHOR,
     facts(decisions={("mk_together", "final_draft"): CARRIED}, papers=["final_draft_strategy"]), "adoption", ""),
    ("final_draft_agreed", "agree_final_draft", AUTHOR,
     facts(decisions={("mk_together", "final_draft"): CARRIED}), GateNotMet, "not attached yet: 'Community Safety Strategy - final draft'"),
    ("adoption", "adopt_strategy", AUTHOR,
     facts(decisions={("safer_mk", "strategy_adoption"): CARRIED}, papers=["final_draft_strategy"]), "adopted", ""),
    ("adopted", "adopt_strategy", AUTHOR, facts(), NotAllowedFromHere, "cannot be fired"),
]


@pytest.mark.parametrize(("stage", "trigger", "roles", "known", "expected", "fragment"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_transition_table(stage: str, trigger: str, roles: tuple[str, ...], known: Facts,
                          expected: str | type[Refused], fragment: str) -> None:
    ctx = FireContext(DEFINITION, known, roles)
    if isinstance(expected, str):
        taken = COMPILED.cycle.fire(stage, trigger, ctx, what="the cycle")
        assert taken.dest == expected
    else:
        with pytest.raises(expected, match=fragment):
            COMPILED.cycle.fire(stage, trigger, ctx, what="the cycle")


def test_inquorate_carried_decision_does_not_pass_a_gate() -> None:
    # A decision recorded as carried with fewer voting members than the gate's quorum.
    known = facts(decisions={("safer_mk", "strategy_adoption"): DecisionFact("carried", 2, 2)},
                  papers=["final_draft_strategy"])
    with pytest.raises(GateNotMet, match="fewer than the quorum of 3"):
        COMPILED.cycle.fire("adoption", "adopt_strategy", FireContext(DEFINITION, known, AUTHOR), what="the cycle")


def test_strand_lifecycle() -> None:
    survey = COMPILED.lifecycles["survey"]
    ctx = FireContext(DEFINITION, facts(), ("consultation_lead",))
    assert survey.fire("preparing", "launch", ctx, what="strand").dest == "open"
    with pytest.raises(NotAllowedFromHere, match="from here: 'Close the survey'"):
        survey.fire("open", "launch", FireContext(DEFINITION, facts(), ("consultation_lead",)), what="strand")


def test_machines_are_compiled_once_per_version_and_without_auto_transitions() -> None:
    cache = MachineCache()
    first = cache.get(DEFINITION)
    assert cache.get(DEFINITION) is first
    assert "to_adopted" not in first.cycle.machine.events
    assert set(first.cycle.machine.events) == DEFINITION.triggers()
    for event in first.cycle.machine.events.values():
        for transitions in event.transitions.values():
            for transition in transitions:
                # Guards are our own callables: nothing from YAML is resolved by name.
                assert all(callable(c.func) and not isinstance(c.func, str) for c in transition.conditions)
    assert not first.cycle.machine.models, "a command's model is detached after firing"
