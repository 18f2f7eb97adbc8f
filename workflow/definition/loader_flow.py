"""Stages, strands, lifecycles, transitions and their gates: how a cycle moves, and that it can."""


from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from workflow.definition.loader_fields import FieldSections
from workflow.definition.loader_independence import read_panel
from workflow.definition.loader_outcomes import read_outcome, read_stays_on
from workflow.definition.loader_strands import StrandSections
from workflow.definition.loader_time import TimeSections
from workflow.definition.model import (
    SYSTEM_ROLE,
    DecisionGate,
    Gate,
    Lifecycle,
    MinimumLengthGate,
    NotBeforeGate,
    PapersGate,
    Stage,
    StrandsGate,
    Transition,
)
from workflow.definition.reader import (
    TIMING_FIELDS,
    _describe,
    suggest,
)
from workflow.definition.yamlfile import YList, YMap


def transition_title(sections: TimeSections, node: YMap, field: str, dest: str | None, *, stage: bool) -> str:
    """A transition's title: the one written; for a stage transition without one, its one destination's title.

    A strand action has no default (its states have no titles): its title is required.
    """
    title = sections.r.get(node, "title", field, str, required=False, default="")
    if title or "title" in node:
        return str(title or "")
    if stage:
        return sections.stages[dest].title if dest in sections.stages else ""
    sections.r.problem(node.line, f"{field}.title", "missing required field 'title': the words on the button a "
                       "person presses, such as 'Open the survey'")
    return ""


def check_item_title(sections: TimeSections, item: str, line: int, field: str) -> None:
    """An item's title is given on one of its gates, or is the title of the paper it is named after."""
    titled = any(isinstance(g, DecisionGate) and g.item == item and g.title
                 for t in sections.transitions for g in t.gates)
    if not titled and item not in sections.papers:
        sections.r.problem(line, f"{field}.title", f"missing required field 'title': what does the board decide on "
                           f"as '{item}'? (an item named after a paper takes the paper's title)")


def check_quorum(sections: TimeSections, board: str, quorum: int, line: int, field: str) -> None:
    """A decision gate's own quorum: at least 1, at most the board's voting members."""
    voting = len(sections.boards[board].voting)
    if quorum > voting:
        sections.r.problem(line, field, f"a quorum of {quorum} is more than the {voting} voting members of '{board}'")
    elif quorum < 1:
        sections.r.problem(line, field, "a quorum must be at least 1")


class FlowSections(StrandSections, FieldSections):
    """Stages, strands, lifecycles, transitions and their gates: how a cycle moves, and that it can."""

    def transition(self, raw: Any, line: int, field: str, states: Iterable[str], kind: str,
                   *, allow_gates: bool) -> Transition | None:
        node = self.r.mapping(raw, line, field)
        if node is None:
            return None
        allowed = ["trigger", "source", "dest", "roles", "title"]
        if allow_gates:
            allowed += ["gates", "documents", "at"]
        self.r.keys(node, allowed, field)
        states = list(states)
        trigger = self.r.get(node, "trigger", field, str)
        if trigger is not None and self.r.identifier(trigger, node.line_of("trigger"), f"{field}.trigger"):
            field = f"{field} ({trigger})"
        sources = self.r.names(node["source"], node.line_of("source"), f"{field}.source") if "source" in node else []
        if "source" not in node:
            self.r.problem(node.line, f"{field}.source", "missing required field 'source'")
        for source in sources:
            if source not in states:
                self.r.unknown(kind, source, states, node.line_of("source"), f"{field}.source")
        dest = self.r.get(node, "dest", field, str)
        if dest is not None and dest not in states:
            self.r.unknown(kind, dest, states, node.line_of("dest"), f"{field}.dest")
        at = self.r.date(node["at"], node.line_of("at"), f"{field}.at") if "at" in node else None
        roles = self.role_refs(node.get("roles", []), node.line_of("roles"), f"{field}.roles")
        if "roles" not in node and at is None:
            self.r.problem(node.line, f"{field}.roles", "missing required field 'roles': who may fire this transition?")
        if at is not None and SYSTEM_ROLE not in roles:
            roles = (*roles, SYSTEM_ROLE)
        title = transition_title(self, node, field, dest, stage=allow_gates)
        gates: list[Gate] = []
        if allow_gates and "gates" in node:
            gates = self.gates(node["gates"], node.line_of("gates"), f"{field}.gates", sources)
        documents: tuple[str, ...] = ()
        if allow_gates and "documents" in node:
            documents = tuple(self.r.names(node["documents"], node.line_of("documents"), f"{field}.documents"))
            self.later("document", documents, "documents", node.line_of("documents"), f"{field}.documents")
        if trigger is None or dest is None:
            return None
        return Transition(trigger, tuple(sources), dest, roles, title, tuple(gates), documents, at, line)

    def gates(self, raw: Any, line: int, field: str, sources: list[str]) -> list[Gate]:
        if not isinstance(raw, YList):
            self.r.problem(line, field, f"expected a list of gates, got {_describe(raw)}")
            return []
        kinds = ("decision", "papers", "not_before", "strands_complete", "when")
        gates: list[Gate] = []
        for i, item in enumerate(raw):
            gline, gfield = raw.line_of(i), f"{field}[{i}]"
            node = self.r.mapping(item, gline, gfield)
            if node is None:
                continue
            if len(node) != 1 or next(iter(node)) not in kinds:
                names = ", ".join(map(str, node)) or "nothing"
                hint = suggest(next(iter(node)), kinds) if len(node) == 1 else ""
                self.r.problem(gline, gfield, f"a gate is one of {', '.join(kinds)}; got {names}{hint}")
                continue
            kind, value = next(iter(node.items()))
            gate = self.gate(kind, value, node.line_of(kind), f"{gfield}.{kind}", sources)
            if gate is not None:
                gates.append(gate)
        return gates

    def gate(self, kind: str, value: Any, line: int, field: str, sources: list[str]) -> Gate | None:
        if kind == "decision":
            node = self.r.mapping(value, line, field)
            if node is None:
                return None
            self.r.keys(node, ("board", "item", "quorum", "title", "priorities", "outcome"), field)
            board = self.board_ref(self.r.get(node, "board", field, str), node.line_of("board"), f"{field}.board")
            item = self.r.get(node, "item", field, str)
            if item is not None:
                self.r.identifier(item, node.line_of("item"), f"{field}.item")
            quorum = self.r.get(node, "quorum", field, int, required=False)
            title = self.r.get(node, "title", field, str, required=False, default="")
            priorities = self.r.get(node, "priorities", field, bool, required=False, default=False)
            outcome = read_outcome(self, node, field)
            if item is not None and not title:
                self._checks.append(lambda: check_item_title(self, item, node.line, field))
            if board in self.boards and quorum is not None:
                check_quorum(self, board, quorum, node.line_of("quorum"), f"{field}.quorum")
            return DecisionGate(board, item, quorum, title, bool(priorities), outcome) if board and item else None
        if kind == "papers":
            papers = self.r.names(value, line, field)
            for paper in papers:
                if paper not in self.papers:
                    self.r.unknown("paper", paper, self.papers, line, field)
            return PapersGate(tuple(papers))
        if kind == "when":
            return self.field_gate(value, line, field)
        if kind == "not_before":
            date = self.r.date(value, line, field)
            return NotBeforeGate(date) if date else None
        # strands_complete: `true` means the transition's own source stage.
        if value is True:
            if len(sources) != 1:
                self.r.problem(line, field, "name the stage whose strands must be complete: the transition has several sources")
                return None
            stage = sources[0]
        elif isinstance(value, str):
            stage = value
        else:
            self.r.problem(line, field, f"expected true or a stage id, got {_describe(value)}")
            return None
        self._checks.append(lambda: self.check_strands_gate(stage, line, field))
        return StrandsGate(stage)

    def check_strands_gate(self, stage: str, line: int, field: str) -> None:
        if stage not in self.stages:
            self.r.unknown("stage", stage, self.stages, line, field)
        elif not self.stages[stage].strands:
            self.r.problem(line, field, f"stage '{stage}' has no strands to complete")

    def read_lifecycles(self) -> None:
        for lid, raw, line in self.r.entries(self.section("lifecycles"), "lifecycles"):
            field = f"lifecycles.{lid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("initial", "final", "transitions"), field)
            initial = self.r.get(node, "initial", field, str)
            finals = self.r.names(node.get("final", []), node.line_of("final"), f"{field}.final")
            if not finals:
                self.r.problem(node.line_of("final"), f"{field}.final", "a lifecycle needs at least one final state")
            raw_ts = node.get("transitions")
            if not isinstance(raw_ts, YList) or not raw_ts:
                self.r.problem(node.line_of("transitions"), f"{field}.transitions", "expected a list of transitions")
                continue
            states: list[str] = [initial] if initial else []
            for item in raw_ts:
                if isinstance(item, dict):
                    for key in ("source", "dest"):
                        value = item.get(key)
                        for s in ([value] if isinstance(value, str) else value if isinstance(value, list) else []):
                            if isinstance(s, str) and s not in states:
                                states.append(s)
            for s in finals:
                if s not in states:
                    self.r.unknown("state", s, states, node.line_of("final"), f"{field}.final")
            transitions = [
                t for i, item in enumerate(raw_ts)
                if (t := self.transition(item, raw_ts.line_of(i), f"{field}.transitions[{i}]", states, "state",
                                         allow_gates=False)) is not None
            ]
            self.check_ambiguous(transitions, f"{field}.transitions")
            if initial:
                self.lifecycles[lid] = Lifecycle(lid, initial, tuple(states), tuple(finals), tuple(transitions))

    def read_stages(self) -> None:
        node = self.section("stages")
        if node is None:
            if "stages" not in self.root:
                self.r.problem(self.root.line, "stages", "missing required field 'stages'")
            return
        for sid, raw, line in self.r.entries(node, "stages"):
            field = f"stages.{sid}"
            snode = self.r.mapping(raw, line, field)
            if snode is None:
                continue
            self.r.keys(snode, ("title", "owner", "board", "due", "final", "strands", "reminders", *TIMING_FIELDS,
                                "stays_on", "panel"), field)
            title = self.r.get(snode, "title", field, str)
            owner = self.r.get(snode, "owner", field, str, required=False)
            if owner is not None:
                self.role_refs(owner, snode.line_of("owner"), f"{field}.owner", allow_system=False)
            board = self.board_ref(self.r.get(snode, "board", field, str, required=False),
                                   snode.line_of("board"), f"{field}.board")
            due = self.r.date(snode["due"], snode.line_of("due"), f"{field}.due") if "due" in snode else None
            final = self.r.get(snode, "final", field, bool, required=False, default=False)
            reminders = tuple(self.r.names(snode.get("reminders", []), snode.line_of("reminders"), f"{field}.reminders"))
            self.later("reminder rule", reminders, "reminders", snode.line_of("reminders"), f"{field}.reminders")
            strands = self.read_strands(snode, field)
            self.stages[sid] = Stage(sid, title or sid, owner, board, due, final, tuple(strands), reminders,
                                     timing=self.timing(snode, line, field),
                                     stays_on=read_stays_on(self, snode, field), panel=read_panel(self, sid, snode, field))
            self._lines[sid] = line

    def read_transitions(self) -> None:
        raw = self.root.get("transitions")
        line = self.root.line_of("transitions")
        if not isinstance(raw, YList) or not raw:
            self.r.problem(line, "transitions", f"expected a list of transitions, got {_describe(raw)}")
            return
        for i, item in enumerate(raw):
            t = self.transition(item, raw.line_of(i), f"transitions[{i}]", self.stages, "stage", allow_gates=True)
            if t is not None:
                self.transitions.append(t)
        self.check_ambiguous(self.transitions, "transitions")

    def check_ambiguous(self, transitions: list[Transition], field: str) -> None:
        seen: dict[tuple[str, str, str], Transition] = {}
        unguarded: dict[tuple[str, str], Transition] = {}
        for t in transitions:
            for source in t.sources:
                key = (t.trigger, source, t.dest)
                if key in seen:
                    self.r.problem(t.line, field, f"duplicate transition: '{t.trigger}' from '{source}' to "
                                   f"'{t.dest}' is already defined on line {seen[key].line}")
                    continue
                seen[key] = t
                if not t.gates:
                    if (t.trigger, source) in unguarded:
                        first = unguarded[(t.trigger, source)]
                        self.r.problem(t.line, field, f"two unguarded transitions for trigger '{t.trigger}' from "
                                       f"'{source}' (the other is on line {first.line}): give one a gate")
                    else:
                        unguarded[(t.trigger, source)] = t

    def add_length_gates(self) -> None:
        """Every transition leaving a stage with at_least waits for it: the engine's gate, not a convention."""
        for i, t in enumerate(self.transitions):
            extra = tuple(MinimumLengthGate(source, self.stages[source].timing.at_least)  # type: ignore[arg-type]
                          for source in t.sources
                          if source in self.stages and self.stages[source].timing.at_least is not None)
            if extra:
                self.transitions[i] = replace(t, gates=(*t.gates, *extra))

    def check_graph(self, initial: str) -> None:
        finals = [s for s in self.stages.values() if s.final]
        if not finals:
            self.r.problem(self.root.line_of("stages"), "stages",
                           "no final stage: mark the stage that ends the cycle with 'final: true'")
        outgoing: dict[str, list[str]] = {s: [] for s in self.stages}
        for t in self.transitions:
            for source in t.sources:
                if source in outgoing:
                    outgoing[source].append(t.dest)
        for stage in finals:
            if outgoing[stage.id]:
                self.r.problem(self._lines.get(stage.id), f"stages.{stage.id}",
                               f"final stage '{stage.id}' has outgoing transitions; a final stage ends the cycle")
        reached = {initial}
        todo = [initial]
        while todo:
            for dest in outgoing.get(todo.pop(), []):
                if dest not in reached:
                    reached.add(dest)
                    todo.append(dest)
        for sid in self.stages:
            if sid not in reached:
                self.r.problem(self._lines.get(sid), f"stages.{sid}", f"stage '{sid}' cannot be reached from the "
                               f"initial stage '{initial}'")
            elif not self.stages[sid].final and not outgoing[sid]:
                self.r.problem(self._lines.get(sid), f"stages.{sid}", f"stage '{sid}' is a dead end: it is not "
                               "final and no transition leaves it")
