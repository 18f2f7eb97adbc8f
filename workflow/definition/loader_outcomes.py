"""Outcomes that branch: a decision gate's `outcome:` and a stage's `stays_on:`, and the check that every outcome a
board can reach at a stage leads somewhere or is said to keep the stage waiting."""

from __future__ import annotations

from workflow.definition.loader_base import BuilderBase
from workflow.definition.model import OUTCOMES, DecisionGate
from workflow.definition.reader import suggest
from workflow.definition.yamlfile import YMap
from workflow.errors import quoted

OUTCOME_WORDS = {"carried": "carried", "not_carried": "not carried", "deferred": "deferred"}


def unknown_outcome(outcome: str) -> str:
    hint = " (a vote that is not carried is 'not_carried')" if outcome == "lost" else suggest(outcome, OUTCOMES)
    return f"unknown outcome {quoted(outcome)}{hint}; expected one of {', '.join(OUTCOMES)}"


def item_words(builder: BuilderBase, item: str) -> str:
    """An item as the loader names it in a problem: a gate's title for it, else its paper's, else its id."""
    titled = [g.title for t in builder.transitions for g in t.gates if isinstance(g, DecisionGate)
              and g.item == item and g.title]
    return titled[0] if titled else builder.papers.get(item, item)


def read_outcome(builder: BuilderBase, node: YMap, field: str) -> str | None:
    """A decision gate's `outcome:`, one of carried, not_carried, deferred (None when not given)."""
    outcome: str | None = builder.r.get(node, "outcome", field, str, required=False)
    if outcome is not None and outcome not in OUTCOMES:
        builder.r.problem(node.line_of("outcome"), f"{field}.outcome", unknown_outcome(outcome))
        return None
    return outcome


def read_stays_on(builder: BuilderBase, node: YMap, field: str) -> tuple[str, ...]:
    """A stage's `stays_on:`: the outcomes on which it waits for the board's next decision."""
    if "stays_on" not in node:
        return ()
    line = node.line_of("stays_on")
    builder._lines[f"{field}.stays_on"] = line
    found = []
    for outcome in builder.r.names(node["stays_on"], line, f"{field}.stays_on"):
        if outcome not in OUTCOMES:
            builder.r.problem(line, f"{field}.stays_on", unknown_outcome(outcome))
        else:
            found.append(outcome)
    return tuple(found)


def check_outcomes(builder: BuilderBase) -> None:
    """Where a stage's transitions name a decision's outcome, every outcome the board can reach (carried, not
    carried, deferred: any vote can go each way, and any item can be deferred) leads on by a transition or is
    listed in the stage's `stays_on`; and `stays_on` is written only where it means something."""
    for sid, stage in builder.stages.items():
        field, line = f"stages.{sid}", builder._lines.get(sid)
        stays_line = builder._lines.get(f"{field}.stays_on", line)
        leaving = [t for t in builder.transitions if sid in t.sources]
        gated: dict[tuple[str, str], set[str]] = {}
        branching: set[tuple[str, str]] = set()
        for t in leaving:
            for gate in t.gates:
                if isinstance(gate, DecisionGate):
                    gated.setdefault((gate.board, gate.item), set()).add(gate.wanted)
                    if gate.outcome is not None:
                        branching.add((gate.board, gate.item))
        for board, item in sorted(branching):
            led = gated[(board, item)]
            both = sorted(set(stage.stays_on) & led)
            if both:
                builder.r.problem(stays_line, f"{field}.stays_on", f"'{', '.join(both)}' is in stays_on, but a "
                                  f"transition from '{sid}' waits for that outcome of '{item_words(builder, item)}': "
                                  "keep one")
            missing = [o for o in OUTCOMES if o not in led and o not in stage.stays_on]
            if missing:
                said = " or ".join(OUTCOME_WORDS[o] for o in missing)
                name = builder.boards[board].name if board in builder.boards else board
                builder.r.problem(line, field, f"the {name}'s decision on '{item_words(builder, item)}' can be {said} at this stage, but no "
                                  f"transition from '{sid}' waits for {'that outcome' if len(missing) == 1 else 'those outcomes'}: "
                                  f"add a transition with a decision gate 'outcome: {missing[0]}', or list "
                                  f"{'it' if len(missing) == 1 else 'them'} in 'stays_on' (the stage then waits for "
                                  "the board's next decision)")
        if stage.stays_on and not branching:
            builder.r.problem(stays_line, f"{field}.stays_on", f"no transition from '{sid}' waits for a decision with an "
                              "'outcome:', so 'stays_on' says nothing: a decision gate without one waits for "
                              "'carried' and the stage stays on any other outcome")
