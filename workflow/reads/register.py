"""The register of a definition's open instances: what `cycle list DEFINITION`, the register page
and `GET /api/v1/definitions/{id}/instances` show the board that oversees the process.

Each open instance with its stage, its next statutory date (the stage's due date) and how late it
is, in working days. Read in a fixed number of queries whatever the number of instances: no
per-instance status. An instance whose current stage considers an exempt paper (Schedule 12A) is
listed only to a reader entitled to that stage's exempt papers (`definition.entitlement`); anyone
else is told only how many such instances there are and how late each is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.commands.cycles import reader as checked_reader
from workflow.definition.calendar import Timeline, working_days_between
from workflow.definition.entitlement import considering_stages, entitled_to_stage
from workflow.definition.model import Definition
from workflow.errors import NotFound
from workflow.reads.running_facts import known_dates_of
from workflow.store.models import Cycle, Paper
from workflow.store.unit import Store
from workflow.time.clock import local_date


@dataclass(frozen=True)
class Instance:
    """One open instance as the register lists it."""

    cycle: str
    reference: str | None
    year: int
    version: int
    stage: str
    stage_title: str
    started_on: str  # the UK date it was started
    due: str | None
    working_days_left: int | None

    @property
    def days_late(self) -> int:
        """Working days past its stage's due date (0 when not late or undated)."""
        return max(0, -(self.working_days_left or 0))


@dataclass
class Register:
    definition: str
    title: str
    cases: bool
    instances: list[Instance] = field(default_factory=list)
    withheld: list[int] = field(default_factory=list)  # days late of each instance not shown, most first

    def json(self) -> dict[str, Any]:
        return {"definition": self.definition, "title": self.title, "cases": self.cases,
                "instances": [{**vars(i), "overdue": i.days_late > 0, "days_late": i.days_late}
                              for i in self.instances],
                "withheld": {"count": len(self.withheld), "days_late": self.withheld}}

    def withheld_sentence(self) -> str:
        """'2 more are at a stage whose papers are exempt (...): 4 working days late and not late.'"""
        if not self.withheld:
            return ""
        late = [f"{d} working day{'s' if d != 1 else ''} late" if d else "not late" for d in self.withheld]
        lateness = late[0] if len(late) == 1 else f"{', '.join(late[:-1])} and {late[-1]}"
        more = "1 more is" if len(late) == 1 else f"{len(late)} more are"
        return f"{more} at a stage whose papers are exempt (Schedule 12A), shown only to those entitled: {lateness}."


def register(engine: Store, definition_id: str, reader: str | None = None) -> Register:
    """The open instances of `definition_id`, most overdue first; exempt ones listed only to the entitled."""
    definition = engine.catalog.load_id(definition_id)
    reader = checked_reader(definition, reader)
    today = local_date(engine.clock.now())
    with engine.sessions() as session:
        cycles = list(session.scalars(select(Cycle).where(Cycle.definition_id == definition.id,
                                                          Cycle.status == "active").order_by(Cycle.id)))
        open_ids = (select(Cycle.id).where(Cycle.definition_id == definition.id, Cycle.status == "active")
                    .scalar_subquery())
        exempt: dict[int, list[Paper]] = defaultdict(list)
        for paper in session.scalars(select(Paper).where(Paper.cycle_id.in_(open_ids), Paper.exempt.is_(True))):
            exempt[paper.cycle_id].append(paper)
        versions = {c.definition_version: engine.catalog.snapshot(session, c.definition_id, c.definition_version)
                    for c in cycles}
        known = known_dates_of(session, [(c, versions[c.definition_version]) for c in cycles], open_ids)
    found = Register(definition.id, definition.title, definition.instances.cases)
    withheld = []
    for cycle in cycles:
        running_on = versions[cycle.definition_version]
        due = Timeline(running_on, cycle.year, known.get(cycle.id, {})).stage_due(cycle.state)
        left = working_days_between(today, due) if due else None
        stage = running_on.stages[cycle.state]
        entry = Instance(cycle.key, cycle.reference, cycle.year, cycle.definition_version, stage.id, stage.title,
                         local_date(cycle.started_at).isoformat(), due.isoformat() if due else None, left)
        if withheld_from(running_on, cycle, exempt[cycle.id], reader):
            withheld.append(entry.days_late)
        else:
            found.instances.append(entry)
    found.instances.sort(key=lambda i: (i.working_days_left is None, i.working_days_left or 0, i.cycle))
    found.withheld = sorted(withheld, reverse=True)
    return found


def withheld_from(definition: Definition, cycle: Cycle, exempt: list[Paper], reader: str | None) -> bool:
    """Is this instance kept from `reader` in a list: at a stage whose exempt papers they are not entitled to?

    The one rule for the register and every list of cycles (`cycle list`, the Cycles page, `GET /api/v1/cycles`),
    and for reading one cycle by its reference (`withheld_cycle`): a reader not entitled never gets the
    reference or stage of an instance at its private stage.
    """
    return withheld_at(definition, cycle.state, exempt, reader)


def withheld_at(definition: Definition, state: str, exempt: list[Paper], reader: str | None) -> bool:
    """`withheld_from`, for an instance at `state` with these exempt papers."""
    return _private(definition, state, exempt) and not (
        reader is not None and entitled_to_stage(definition, state, reader))


def withheld_cycle(session: Session, definition: Definition, cycle_id: int, state: str, reader: str) -> bool:
    """`withheld_from` for one cycle a person names by its reference (a page, an API call, `--as`), which is then
    answered as a cycle that does not exist: a guessed reference must not confirm a case kept from every list.

    Only a case (`instances.cases`) is withheld so: a case's very existence may be personal data, where a
    strategy's cycle and its meetings are published on the public site (`public`, which withholds cases alone),
    so answering "no cycle" would hide nothing and would shut a board member out of the cycle they work on.
    Its exempt papers are read only for a case and a reader not entitled to its stage already, so the person
    who acts at a stage (its owner, its board) pays no query for it.
    """
    if not definition.instances.cases or entitled_to_stage(definition, state, reader):
        return False
    exempt = list(session.scalars(select(Paper).where(Paper.cycle_id == cycle_id, Paper.exempt.is_(True))))
    return withheld_at(definition, state, exempt, reader)


def hidden_cycles(engine: Store, cycle_ids: list[int], reader_of: Callable[[Definition], str | None]) -> set[int]:
    """Of `cycle_ids`, those `withheld_from` their reader (`reader_of` the definition version each runs on).

    In a fixed number of queries (one per definition version), however many cycles there are.
    """
    with engine.sessions() as session:
        exempt: dict[int, list[Paper]] = defaultdict(list)
        for paper in session.scalars(select(Paper).where(Paper.cycle_id.in_(cycle_ids), Paper.exempt.is_(True))):
            exempt[paper.cycle_id].append(paper)
        if not exempt:
            return set()
        cycles = list(session.scalars(select(Cycle).where(Cycle.id.in_(list(exempt)))))
        versions = {(c.definition_id, c.definition_version): engine.catalog.snapshot(session, c.definition_id,
                                                                                      c.definition_version)
                    for c in cycles}
    hidden = set()
    for cycle in cycles:
        definition = versions[(cycle.definition_id, cycle.definition_version)]
        if withheld_from(definition, cycle, exempt[cycle.id], reader_of(definition)):
            hidden.add(cycle.id)
    return hidden


def refuse_withheld(session: Session, definition: Definition, cycle: Cycle, ref: str | int, reader: str | None) -> None:
    """NotFound, in the words used for a reference that names no cycle, when `reader` (a person, not the public
    view) reads one cycle withheld from them (`withheld_cycle`): `cycle status --as`, `cycle history --as`."""
    if reader is not None and withheld_cycle(session, definition, cycle.id, cycle.state, reader):
        raise NotFound(f"there is no cycle '{ref}'")


def _private(definition: Definition, state: str, papers: list[Paper]) -> bool:
    """Is the instance's current stage the business of an exempt paper?"""
    return any(state in considering_stages(definition, paper.paper, paper.stage) for paper in papers)


