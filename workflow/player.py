"""Plays the officers and boards of any definition, on its own timetable.

Used by the demo and by tests that run a whole cycle: at each stage it moves
a simulated clock to the stage's date, attaches the papers the gates ask for,
records the boards' decisions, completes the parallel strands, and fires the
transition as a person who holds the role. It only calls engine commands, so
everything it does is checked and recorded like an officer's work.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.commands import panels
from workflow.definition.calendar import Timeline, add_working_days
from workflow.definition.formatting import short_date, written_date
from workflow.definition.model import (
    SYSTEM_ROLE,
    DecisionGate,
    Definition,
    Lifecycle,
    NotBeforeGate,
    PanelGate,
    PapersGate,
    Transition,
)
from workflow.engine import Engine
from workflow.time.clock import SettableClock, at_local, local_date
from workflow.time.deadlines import backlog, next_due


@dataclass(frozen=True)
class Step:
    """One thing the player did, for a progress display."""

    day: dt.date
    kind: str  # paper | decision | panel | strand | stage | scheduler
    text: str


class Player:
    def __init__(self, engine: Engine, clock: SettableClock, definition: Definition, cycle: str, year: int,
                 *, on_step: Callable[[Step], None] = lambda step: None,
                 fire: Callable[[str, str, str | None], object] | None = None,
                 await_scheduler: Callable[[Callable[[], bool], str], None] | None = None,
                 rehearsal: dict[str, Any] | None = None,
                 before_meeting: Callable[[str, dt.date], None] = lambda board, day: None,
                 after_meeting: Callable[[str, dt.date], None] = lambda board, day: None) -> None:
        self.engine = engine
        self.clock = clock
        self.definition = definition
        self.cycle = cycle
        self.timeline = Timeline(definition, year)
        self.on_step = on_step
        self.fire_hook = fire
        # With workers running, timed transitions are theirs: the player moves the clock and waits.
        self.await_scheduler = await_scheduler
        # What boards and officers say beyond their votes: priorities, notes on strands.
        self.rehearsal = rehearsal or {}
        # The committee manager's part, if played: issue the agenda once the papers are in; after the meeting,
        # record the previous minutes approved and draft this meeting's (the demo's `tasks.demo_clerk`).
        self.before_meeting = before_meeting
        self.after_meeting = after_meeting
        self._papers = Path(tempfile.mkdtemp(prefix="cycle-papers-"))
        # A paper is attached once, for the first board whose step names it; a later board that names it
        # too is sent that copy when the cycle reaches it (the final draft: Risk Board, MK Together, Safer MK).
        self._attached: set[str] = set()
        weakref.finalize(self, shutil.rmtree, self._papers, True)  # the files are stored by then

    # -- whom to play ---------------------------------------------------------------

    def person_with(self, roles: tuple[str, ...]) -> str:
        for person in self.definition.people.values():
            if set(person.roles) & set(roles):
                return person.id
        raise LookupError(f"nobody in '{self.definition.id}' holds any of {', '.join(roles)}")

    def _step(self, kind: str, text: str) -> None:
        self.on_step(Step(local_date(self.clock.now()), kind, text))

    def move_to(self, day: dt.date, hour: int = 10, minute: int = 0) -> None:
        """Move the clock forward to a day; never backwards.

        With workers running, time moves from one due deadline to the next, and the
        workers finish what each moment asks before it moves on, as real days would allow.
        """
        target = at_local(day, hour) + dt.timedelta(minutes=minute)
        if target <= self.clock.now():
            return
        if self.await_scheduler is None:
            self.clock.set(target)
            return
        self.settle()
        while (moment := next_due(self.engine, self.clock.now(), target)) is not None:
            self.clock.set(moment)
            self.settle()
        self.clock.set(target)
        self.settle()

    def settle(self) -> None:
        if self.await_scheduler is not None:
            now = self.clock.now()
            self.await_scheduler(lambda: backlog(self.engine, now) == 0,
                                 f"the work due by {short_date(local_date(now))}")

    # -- the play -------------------------------------------------------------------

    def play(self) -> None:
        status = self.engine.status(self.cycle)
        while status.status == "active":
            self.play_stage(status.stage)
            status = self.engine.status(self.cycle)

    def play_stage(self, stage_id: str) -> None:
        stage = self.definition.stages[stage_id]
        transition = self.choose(stage_id)
        # Each strand takes its first step as the stage opens and finishes just before it is due.
        paths = {s.id: path_to_final(self.definition.lifecycles[s.lifecycle]) for s in stage.strands}
        for strand in stage.strands:
            for t in paths[strand.id][:1]:
                self.fire(t.trigger, self.person_for(t), strand.id)
        for strand in sorted(stage.strands, key=lambda s: self.timeline.resolve(s.due) if s.due else dt.date.max):
            if strand.due is not None:
                self.move_to(add_working_days(self.timeline.resolve(strand.due), -1))
            timed = dict(strand.at)
            note = self.rehearsal.get("strand_notes", {}).get(strand.id)
            for t in paths[strand.id][1:]:
                if t.trigger in timed and self.await_scheduler is not None:
                    self.move_to(self.timeline.resolve(timed[t.trigger]), hour=23, minute=59)
                    self.await_scheduler(self._strand_at(strand.id, t.dest),
                                         f"{t.trigger} '{strand.title}'")
                    self._step("scheduler", f"on its date, the scheduler did: {t.trigger} '{strand.title}'")
                    continue
                self.fire(t.trigger, self.person_for(t), strand.id,
                          comment=note if t is paths[strand.id][-1] else None)
            self._step("strand", f"{strand.title}: {paths[strand.id][-1].dest if paths[strand.id] else 'done'}")
        due = self.timeline.stage_due(stage_id)
        # A stage left by a timed transition before its due date (a review begun before the order expires).
        early = transition.at is not None and due is not None and self.timeline.resolve(transition.at) < due
        boards = list(dict.fromkeys(g.board for g in transition.gates if isinstance(g, DecisionGate)))
        if due is not None and not early:
            # Papers go out with the agenda, the board's notice (five clear working days) before the meeting.
            notice = max((self.definition.boards[b].agenda.notice for b in boards), default=5)
            self.move_to(add_working_days(due, -(notice + 1)))
        for gate in transition.gates:
            if isinstance(gate, PapersGate):
                for paper in gate.papers:
                    if paper not in self._attached:
                        self.attach(paper)
        if due is not None and not early:
            for board in boards:
                self.before_meeting(board, due)
            self.move_to(due)
        for gate in transition.gates:
            if isinstance(gate, NotBeforeGate):
                self.move_to(self.timeline.resolve(gate.date))
        for gate in transition.gates:
            if isinstance(gate, DecisionGate):
                self.decide(gate)
            elif isinstance(gate, PanelGate):
                self.choose_panel(gate.panel)
        for board in boards:
            self.after_meeting(board, local_date(self.clock.now()))
        if transition.at is not None and self.await_scheduler is not None:
            self.move_to(self.timeline.resolve(transition.at), hour=23, minute=59)
            self.await_scheduler(self._stage_left(stage_id), transition.title or transition.trigger)
            self._step("scheduler", f"on its date, the scheduler did: {transition.title or transition.trigger}")
        else:
            if transition.at is not None:
                self.move_to(self.timeline.resolve(transition.at), hour=18)
            self.fire(transition.trigger, self.person_for(transition), None)
        self._step("stage", f"{transition.title or transition.trigger}: now in stage "
                            f"'{self.definition.stages[transition.dest].title}' (started)")

    def _strand_at(self, strand: str, state: str) -> Callable[[], bool]:
        def reached() -> bool:
            return any(s["strand"] == strand and s["state"] == state for s in self.engine.status(self.cycle).strands)

        return reached

    def _stage_left(self, stage: str) -> Callable[[], bool]:
        return lambda: self.engine.status(self.cycle).stage != stage

    def fire(self, trigger: str, actor: str, strand: str | None, comment: str | None = None) -> None:
        if self.fire_hook is not None:
            self.fire_hook(trigger, actor, strand)
        else:
            self.engine.fire(self.cycle, trigger, actor, strand=strand, comment=comment)

    def choose(self, stage_id: str) -> Transition:
        """The way forward: the transition leading furthest from the start."""
        options = self.definition.transitions_from(stage_id)
        if not options:
            raise LookupError(f"stage '{stage_id}' has no way forward")
        order = list(self.definition.stages)
        # A rehearsal's boards carry what they decide: a branch for another outcome is not its way forward.
        carried = [t for t in options if all(g.wanted == "carried" for g in t.gates if isinstance(g, DecisionGate))]
        return max(carried or options, key=lambda t: order.index(t.dest))

    def choose_panel(self, panel: str) -> None:
        """Choose a panel of up to three from its roles' holders who sit on none of the boards it is independent of."""
        spec = self.definition.panels[panel]
        barred = {p for b in spec.independent_of if b in self.definition.boards
                  for p, _ in self.definition.boards[b].members}
        members = [p.id for p in self.definition.people.values()
                   if set(p.roles) & set(spec.choose_from) and p.id not in barred][:3]
        chosen = panels.choose_panel(self.engine, self.cycle, panel, members,
                              self.person_with(self.definition.permissions["choose_panel"]))
        self._step("panel", f"{spec.name} chosen: {', '.join(chosen.members)}")

    def attach(self, paper: str) -> None:
        title = self.definition.papers[paper]
        path = self._papers / f"{paper}.txt"
        path.write_text(f"{title}\n\n{self.definition.title}, cycle {self.cycle}.\n"
                        f"Paper prepared on {written_date(local_date(self.clock.now()))} for the rehearsal.\n",
                        encoding="utf-8")
        author = self.person_with(self.definition.permissions["attach"])
        self.engine.attach(self.cycle, paper, path, author)
        self._attached.add(paper)
        self._step("paper", f"attached '{title}'")

    def decide(self, gate: DecisionGate) -> None:
        board = self.definition.boards[gate.board]
        voting = list(board.voting)
        apologies = voting[-1:] if len(voting) > (gate.quorum or board.quorum) else []
        present = [p for p in voting if p not in apologies]
        non_voting = [p for p, _ in board.members if p not in board.voting]
        said = self.rehearsal.get("decisions", {}).get(gate.item, {})
        priorities = [tuple(part.strip() for part in text.split(":", 1)) for text in said.get("priorities", [])]
        result = self.engine.decide(
            self.cycle, gate.board, gate.item, self.person_with(self.definition.permissions["decide"]),
            votes_for=present, apologies=apologies, present=non_voting,
            resolution=said.get("resolution", f"That '{self.definition.item_title(gate.board, gate.item)}' be agreed."),
            meeting_date=local_date(self.clock.now()), priorities=priorities,
        )
        self._step("decision", f"{board.name}: '{self.definition.item_title(gate.board, gate.item)}' {result.outcome} "
                               f"({result.votes_for} for, {len(apologies)} apologies)")

    def person_for(self, transition: Transition) -> str:
        return self.person_with(tuple(r for r in transition.roles if r != SYSTEM_ROLE) or transition.roles)


def path_to_final(lifecycle: Lifecycle) -> list[Transition]:
    """The shortest run of transitions from a strand's first state to a final one: how the player walks a strand."""
    queue: deque[tuple[str, list[Transition]]] = deque([(lifecycle.initial, [])])
    seen = {lifecycle.initial}
    while queue:
        state, path = queue.popleft()
        if state in lifecycle.finals:
            return path
        for t in lifecycle.transitions:
            if state in t.sources and t.dest not in seen:
                seen.add(t.dest)
                queue.append((t.dest, [*path, t]))
    raise LookupError(f"lifecycle '{lifecycle.id}' has no way to a final state")
