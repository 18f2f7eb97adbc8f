"""The shipped definition driven start to adoption, and the cycle machine alone in memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.harness import median
from bench.transitions_loop import (
    FIRST_YEAR,
)
from bench.transitions_measure import (
    measure,
)
from workflow.app import App
from workflow.definition.calendar import Timeline
from workflow.definition.gates import DecisionFact, Facts
from workflow.definition.machine import CompiledMachine, FireContext, MachineCache
from workflow.definition.model import (
    SYSTEM_ROLE,
    DecisionGate,
    Definition,
    PapersGate,
)
from workflow.engine import SYSTEM_ACTOR
from workflow.player import path_to_final
from workflow.time.clock import local_date

SHIPPED = "community_safety_strategy"


# -- workload 3: the shipped definition, start to adoption ---------------------------------


@dataclass(frozen=True)
class Step:
    trigger: str
    actor: str
    strand: str | None


def person_with(definition: Definition, roles: tuple[str, ...]) -> str:
    wanted = tuple(r for r in roles if r != SYSTEM_ROLE) or roles
    if wanted == (SYSTEM_ROLE,):
        return SYSTEM_ACTOR
    return next(p.id for p in definition.people.values() if set(p.roles) & set(wanted))


def plan(definition: Definition) -> tuple[list[Step], list[str], list[DecisionGate]]:
    """Every fire from the initial stage to the final one, and the papers and decisions they need."""
    steps: list[Step] = []
    papers: list[str] = []
    decisions: list[DecisionGate] = []
    order = list(definition.stages)
    stage = definition.initial
    while not definition.stages[stage].final:
        for strand in definition.stages[stage].strands:
            for t in path_to_final(definition.lifecycles[strand.lifecycle]):
                steps.append(Step(t.trigger, person_with(definition, t.roles), strand.id))
        forward = max(definition.transitions_from(stage), key=lambda t: order.index(t.dest))
        for gate in forward.gates:
            if isinstance(gate, PapersGate):
                papers += [p for p in gate.papers if p not in papers]
            elif isinstance(gate, DecisionGate):
                decisions.append(gate)
        steps.append(Step(forward.trigger, person_with(definition, forward.roles), None))
        stage = forward.dest
    return steps, papers, decisions


class Shipped:
    """Cycles of the shipped definition, prepared so every fire in the plan passes its gates."""

    def __init__(self, app: App, count: int, papers_dir: Path) -> None:
        self.app = app
        self.definition = app.engine.catalog.load(SHIPPED)
        self.steps, papers, decisions = plan(self.definition)
        author = person_with(self.definition, self.definition.permissions["start"])
        attacher = person_with(self.definition, self.definition.permissions["attach"])
        recorder = person_with(self.definition, self.definition.permissions["decide"])
        files = {}
        for paper in papers:
            files[paper] = papers_dir / f"{paper}.txt"
            files[paper].write_text(f"{self.definition.papers[paper]}\n\nPrepared for the benchmark.\n")
        # Decisions are recorded for meetings held, and most of these cycles' meetings (to 2100) are still to
        # come by the system clock: each is recorded as made at a meeting today. A gate asks only that the
        # board carried it, so the day changes nothing that is measured.
        today = local_date(app.engine.clock.now())
        self.keys: list[str] = []
        for i in range(count):
            key = app.engine.start(SHIPPED, FIRST_YEAR + i, author).cycle
            for paper in papers:
                app.engine.attach(key, paper, files[paper], attacher)
            for gate in decisions:
                board = self.definition.boards[gate.board]
                app.engine.decide(key, gate.board, gate.item, recorder, votes_for=list(board.voting),
                                  meeting_date=today)
            self.keys.append(key)

    def drive(self, keys: list[str]) -> Callable[[], None]:
        """Every cycle in `keys` from its first stage to adoption, a step of each cycle in turn."""
        fire = self.app.engine.fire
        steps = self.steps

        def work() -> None:
            for step in steps:
                for key in keys:
                    fire(key, step.trigger, step.actor, strand=step.strand)

        return work


# -- workload 4: the machine alone ---------------------------------------------------------


@dataclass(frozen=True)
class MachineFigures:
    definition: str
    states: int
    transitions: int
    fired: str
    cached_us: float
    built_us: float


def machine_bench(definition: Definition, rounds: int) -> MachineFigures:
    """The cycle machine's fire in memory: the cached machine, and one built for the command.

    The facts are built in memory to pass the first transition's gates, as the engine's
    `facts()` would find them; nothing touches the database.
    """
    first = definition.transitions_from(definition.initial)[0]
    facts = Facts(
        today=dt.date(2021, 7, 20), timeline=Timeline(definition, 2021),
        decisions={(g.board, g.item): DecisionFact("carried", 5, 5)
                   for g in first.gates if isinstance(g, DecisionGate)},
        papers={p for g in first.gates if isinstance(g, PapersGate) for p in g.papers},
    )
    roles = definition.people[person_with(definition, first.roles)].roles
    stages = list(definition.stages)
    source = first.sources[0]
    shared = MachineCache().get(definition).cycle

    def fire_cached(n: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(n):
                shared.fire(source, first.trigger, FireContext(definition, facts, roles), what="bench")
        return work

    def fire_built(n: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(n):
                machine = CompiledMachine("bench", stages, definition.initial, definition.transitions)
                machine.fire(source, first.trigger, FireContext(definition, facts, roles), what="bench")
        return work

    fire_cached(500)()
    fire_built(100)()
    cached, built = [], []
    for _ in range(rounds):
        cached.append(measure(2000, fire_cached(2000)))
        built.append(measure(500, fire_built(500)))
    return MachineFigures(
        definition=definition.id, states=len(stages), transitions=len(definition.transitions),
        fired=f"{first.trigger}, {len(first.gates)} gates",
        cached_us=median([s.wall / s.ops * 1e6 for s in cached]),
        built_us=median([s.wall / s.ops * 1e6 for s in built]),
    )
