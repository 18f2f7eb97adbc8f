"""The boards a person serves on, in every running cycle: each cycle's meetings as they now stand and, if asked,
the papers, sign-off records and decisions of it the person may see (`definition.entitlement`).

For My boards and the calendar feed. Every cycle's records come from one query per kind for all the
running cycles together (selected by a subquery of their ids), so the cost follows the rows shown, not
a set of queries per cycle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from workflow.commands.meetings import Scheduled, schedule
from workflow.definition.directory import find_person
from workflow.definition.model import Board, Definition
from workflow.store.models import Cycle, Decision, Document, Paper
from workflow.store.unit import Store
from workflow.time.actuals import changes_of
from workflow.time.clock import local_date

from .papers import document_views, paper_views
from .running_facts import RUNNING
from .status import decision_register


@dataclass(frozen=True)
class ServedCycle:
    """A running cycle the person is in: their id there, the boards they serve on, its meetings and records."""

    cycle_id: int
    key: str
    year: int
    definition: Definition
    person: str
    boards: list[Board]
    meetings: list[Scheduled]
    papers: list[dict[str, Any]] = field(default_factory=list)  # `papers.visible_papers`
    documents: list[Document] = field(default_factory=list)  # `papers.visible_documents`
    decisions: list[dict[str, Any]] = field(default_factory=list)  # `status.decision_register`


def served_cycles(engine: Store, email: str, *, records: bool = True,
                  window: tuple[int, int] | None = None) -> tuple[list[ServedCycle], int]:
    """The running cycles in which `email` serves on a board, and how many there are; with their papers,
    documents and decisions when `records` (the calendar feed needs the meetings only).

    By id; or, given a `window` (offset, size), those of it in the order of their coming meetings: the
    cycles of this year and last (which hold the coming meetings) and later years, by year, then the older
    ones; only the window's meetings and records are read."""
    running: Any = RUNNING.scalar_subquery()
    with engine.sessions() as session:
        mine = []
        for cycle in session.scalars(select(Cycle).where(Cycle.status == "active").order_by(Cycle.id)):
            definition = engine.catalog.snapshot(session, cycle.definition_id, cycle.definition_version)
            found_person = find_person(definition, email)
            if found_person is None:
                continue
            boards = [b for b in definition.boards.values() if found_person.id in dict(b.members)]
            if boards:
                mine.append((cycle, definition, found_person.id, boards))
        if not mine:
            return [], 0
        every = len(mine)
        if window is not None:
            since = local_date(engine.clock.now()).year - 1
            mine = sorted(mine, key=lambda m: (m[0].year < since, m[0].year, m[0].id))
            mine = mine[window[0]:window[0] + window[1]]
            running = [cycle.id for cycle, _, _, _ in mine]
        moved = changes_of(session, running)
        papers: dict[int, list[Paper]] = defaultdict(list)
        documents: dict[int, list[Document]] = defaultdict(list)
        decisions: dict[int, list[Decision]] = defaultdict(list)
        if records:
            for paper in session.scalars(select(Paper).where(Paper.cycle_id.in_(running)).order_by(Paper.id)):
                papers[paper.cycle_id].append(paper)
            for document in session.scalars(select(Document).where(Document.cycle_id.in_(running))
                                            .order_by(Document.id)):
                if document.cycle_id is not None:
                    documents[document.cycle_id].append(document)
            for decision in session.scalars(select(Decision).where(Decision.cycle_id.in_(running))
                                            .order_by(Decision.id)):
                decisions[decision.cycle_id].append(decision)
        found = []
        for cycle, definition, person, boards in mine:
            found.append(ServedCycle(
                cycle.id, cycle.key, cycle.year, definition, person, boards,
                schedule(definition, cycle.year, moved.get(cycle.id, {})),
                paper_views(definition, papers[cycle.id], person),
                document_views(session, definition, documents[cycle.id], person),
                decision_register(definition, papers[cycle.id], decisions[cycle.id], person)))
        return found, every
