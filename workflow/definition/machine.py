"""Compile a definition into `transitions` machines, once per definition version.

One shared `Machine(model=None)` per (definition, version) and one per strand
lifecycle. A command never attaches a model to it: it fires the machine's event
on a throwaway model set at the persisted state (`Event.trigger(model, ...)`),
which leaves the shared machine untouched, so commands need no lock and skip
the cost of `add_model`/`remove_model`.

Names from a definition never reach `transitions` as strings it would resolve:
guards and callbacks are our own callables, bound to the definition's objects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine, MachineError

from workflow.definition import gates as gate_rules
from workflow.definition.gates import Facts
from workflow.definition.loader import suggest
from workflow.definition.model import Definition, Lifecycle, Transition
from workflow.errors import GateNotMet, NotAllowedFromHere, RoleMissing, UnknownTrigger


@dataclass
class FireContext:
    """What a guard needs to decide, and what the firing found out."""

    definition: Definition
    facts: Facts
    actor_roles: tuple[str, ...]
    reasons: list[str] = field(default_factory=list)
    taken: Transition | None = None


class _Model:
    """The object a machine moves for the length of one command."""

    state: str


class _Guard:
    def __init__(self, transition: Transition) -> None:
        self.transition = transition

    def __call__(self, event: Any) -> bool:
        ctx: FireContext = event.kwargs["ctx"]
        if not set(self.transition.roles) & set(ctx.actor_roles):
            return False
        found = gate_rules.reasons(self.transition.gates, ctx.definition, ctx.facts)
        ctx.reasons.extend(r for r in found if r not in ctx.reasons)
        return not found


class _Taken:
    def __init__(self, transition: Transition) -> None:
        self.transition = transition

    def __call__(self, event: Any) -> None:
        event.kwargs["ctx"].taken = self.transition


class CompiledMachine:
    """A shared `transitions` machine over one set of states and transitions."""

    def __init__(self, label: str, states: list[str], initial: str, transitions: tuple[Transition, ...]) -> None:
        self.label = label
        self.transitions = transitions
        self._by_trigger: dict[str, tuple[Transition, ...]] = {}
        for t in transitions:
            self._by_trigger[t.trigger] = (*self._by_trigger.get(t.trigger, ()), t)
        self.machine = Machine(
            model=None, states=states, initial=initial, auto_transitions=False,
            send_event=True, ignore_invalid_triggers=False, name=label,
        )
        for t in transitions:
            for source in t.sources:
                self.machine.add_transition(t.trigger, source, t.dest,
                                            conditions=[_Guard(t)], after=[_Taken(t)])

    def candidates(self, state: str, trigger: str) -> list[Transition]:
        return [t for t in self._by_trigger.get(trigger, ()) if state in t.sources]

    def allowed_from(self, state: str) -> list[str]:
        seen: list[str] = []
        for t in self.transitions:
            if state in t.sources and t.trigger not in seen:
                seen.append(t.trigger)
        return seen

    def fire(self, state: str, trigger: str, ctx: FireContext, *, what: str) -> Transition:
        """Fire `trigger` from `state`; return the transition taken or raise a Refused error."""
        if trigger not in self._by_trigger:
            known = sorted({t.trigger for t in self.transitions})
            raise UnknownTrigger(f"there is no trigger '{trigger}' in {what}{suggest(trigger, known)}")
        candidates = self.candidates(state, trigger)
        named = self.named(trigger)
        if not candidates:
            allowed = self.allowed_from(state)
            hint = f"; from here: {', '.join(map(self.named, allowed))}" if allowed else ""
            stage = ctx.definition.stages.get(state)
            at = f"'{stage.title}'" if stage else f"'{state}'"
            raise NotAllowedFromHere(f"{named} cannot be fired while {what} is at {at}{hint}")
        if not any(set(t.roles) & set(ctx.actor_roles) for t in candidates):
            needed = sorted({r for t in candidates for r in t.roles})
            raise RoleMissing(f"firing {named} needs one of the roles {', '.join(needed)}; "
                              f"you hold {', '.join(ctx.actor_roles) or 'none'}")
        # The model is never added to the shared machine: the event moves it all the same, and
        # nothing shared is written (the machine has no queue), so threads can fire at once.
        model = _Model()
        model.state = state
        try:
            moved = self.machine.events[trigger].trigger(model, ctx=ctx)
        except MachineError as exc:
            raise NotAllowedFromHere(f"{named} cannot be fired while {what} is at '{state}'") from exc
        if not moved or ctx.taken is None:
            reasons = ctx.reasons or ["no transition's conditions are met"]
            raise GateNotMet(f"{named} is not possible yet: " + gate_rules.joined(reasons), reasons)
        return ctx.taken

    def named(self, trigger: str) -> str:
        """'Risk Board signs off the strategic assessment': the title people read, never the id they type."""
        title = next((t.title for t in self._by_trigger.get(trigger, ()) if t.title), "")
        return f"'{title or trigger}'"


class CompiledDefinition:
    """The machines of one definition version: the cycle's own, and one per lifecycle."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.cycle = CompiledMachine(
            f"{definition.id}@{definition.version}", list(definition.stages), definition.initial,
            definition.transitions,
        )
        self.lifecycles = {lc.id: self._lifecycle(lc) for lc in definition.lifecycles.values()}

    def _lifecycle(self, lifecycle: Lifecycle) -> CompiledMachine:
        label = f"{self.definition.id}@{self.definition.version}/{lifecycle.id}"
        return CompiledMachine(label, list(lifecycle.states), lifecycle.initial, lifecycle.transitions)


class MachineCache:
    """Compiled definitions keyed by (id, version, checksum); thread-safe."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, int, str], CompiledDefinition] = {}
        self._lock = threading.Lock()

    def get(self, definition: Definition) -> CompiledDefinition:
        key = (definition.id, definition.version, definition.checksum)
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                found = self._compiled.get(key)
                if found is None:
                    found = self._compiled[key] = CompiledDefinition(definition)
        return found
