"""A page of the cycles a person takes part in: the filters, the order and the page applied in the query.

The Cycles page and `GET /api/v1/cycles?limit=` read the cycles a page at a time. Who takes part is a
property of a definition version (its directory lists the person's email), and the board a cycle
waits on a property of its version and stage, so both become conditions of the query on the few
versions running; the strategy and year filters are columns. The query orders by cycle id, counts
the matches and reads one page's rows (`LIMIT`/`OFFSET`); due dates and what holds each cycle up
are worked out for that page's rows only. "Overdue only" needs each candidate's due date, which the
definition's calendar gives, not a column: it is worked out for the cycles the other filters leave,
and their ids go into the query. A cycle at a stage whose exempt papers the person may not see is
left out, as `cycles_taking_part` leaves it out (`register.hidden_cycles`, the one rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, tuple_

from workflow.definition.calendar import Timeline, working_days_between
from workflow.definition.directory import find_person
from workflow.definition.model import Definition
from workflow.engine import Engine
from workflow.store.models import Cycle
from workflow.time.actuals import moved_days
from workflow.time.clock import local_date

from .access import KnownCycles
from .paging import Paging
from .taking_part import person_id


@dataclass(frozen=True)
class Filters:
    definition: str = ""
    year: str = ""
    board: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class CyclePage:
    """One page of a person's cycles, as `cycles_taking_part` gives each row, with the counts around it."""

    rows: list[dict[str, Any]]
    paging: Paging
    every: int  # every cycle they take part in, unfiltered
    definitions: dict[str, str] = field(default_factory=dict)  # id -> title, of the cycles they take part in
    years: list[int] = field(default_factory=list)
    boards: dict[str, str] = field(default_factory=dict)  # id -> name, of the boards their cycles wait on


def page_of_cycles(engine: Engine, cycles: KnownCycles, email: str, filters: Filters,
                   paging_of: Callable[[int], Paging]) -> CyclePage:
    """The rows `paging_of(total)` chooses (a page, or an API's limit and offset, which raise
    `paging.PageOutOfRange` past the end) of the cycles `email` takes part in that match `filters`, by id."""
    today = local_date(engine.clock.now())
    with engine.sessions() as session:
        groups = list(session.execute(select(Cycle.definition_id, Cycle.definition_version, Cycle.year, Cycle.state,
                                             func.count()).group_by(Cycle.definition_id, Cycle.definition_version,
                                                                    Cycle.year, Cycle.state)))
        versions = {(g[0], g[1]): cycles.version(g[0], g[1]) for g in groups}
        mine = {key: d for key, d in versions.items() if find_person(d, email) is not None}
        taking_part = _versions_clause(list(mine))
        active = select(Cycle.id).where(Cycle.status == "active", taking_part)
    hidden = engine.hidden_cycles(active, lambda definition: person_id(definition, email))  # type: ignore[arg-type]
    shown = and_(taking_part, Cycle.id.not_in(sorted(hidden)) if hidden else true())
    with engine.sessions() as session:
        hidden_rows = list(session.execute(select(Cycle.definition_id, Cycle.definition_version, Cycle.year,
                                                  Cycle.state).where(Cycle.id.in_(sorted(hidden))))) if hidden else []
        every = sum(g[4] for g in groups if (g[0], g[1]) in mine) - len(hidden_rows)
        definitions, years, boards = _choices([g for g in groups if (g[0], g[1]) in mine], hidden_rows, mine)
        wanted = and_(shown, _filters_clause(filters, mine))
        if filters.overdue:
            wanted = and_(wanted, Cycle.id.in_(_overdue(session, wanted, versions, today)))
        total = session.scalar(select(func.count()).select_from(Cycle).where(wanted)) or 0
        paging = paging_of(total)
        found = list(session.execute(select(Cycle.id, Cycle.key, Cycle.definition_id, Cycle.definition_version,
                                            Cycle.year, Cycle.state, Cycle.status, Cycle.updated_at)
                                     .where(wanted).order_by(Cycle.id).limit(paging.size).offset(paging.offset)))
        moved = moved_days(session, [r.id for r in found if r.status == "active"]) if found else {}
    rows = []
    for r in found:
        definition = versions[(r.definition_id, r.definition_version)]
        due = (Timeline(definition, r.year, moved.get(r.id)).stage_due(r.state)
               if r.status == "active" else None)
        left = working_days_between(today, due) if due else None
        rows.append({"id": r.id, "cycle": r.key, "definition": r.definition_id, "version": r.definition_version,
                     "year": r.year, "stage": r.state, "stage_title": definition.stages[r.state].title,
                     "status": r.status, "updated_at": r.updated_at.isoformat(), "due": due,
                     "working_days_left": left, "overdue": left is not None and left < 0})
    return CyclePage(rows, paging, every, definitions, years, boards)


def _versions_clause(keys: list[tuple[str, int]]) -> ColumnElement[bool]:
    """The cycles running on one of these definition versions."""
    if not keys:
        return false()
    return tuple_(Cycle.definition_id, Cycle.definition_version).in_(keys)


def _filters_clause(filters: Filters, mine: dict[tuple[str, int], Definition]) -> ColumnElement[bool]:
    found: list[ColumnElement[bool]] = []
    if filters.definition:
        found.append(Cycle.definition_id == filters.definition)
    if filters.year:
        found.append(Cycle.year == int(filters.year) if filters.year.isdigit() and len(filters.year) <= 4
                     else false())
    if filters.board:  # the stages of each version that wait on the board
        waiting = [and_(Cycle.definition_id == key[0], Cycle.definition_version == key[1],
                        Cycle.state.in_([s.id for s in d.stages.values() if s.board == filters.board]))
                   for key, d in mine.items() if any(s.board == filters.board for s in d.stages.values())]
        found.append(or_(*waiting) if waiting else false())
    return and_(true(), *found)


def _overdue(session: Any, wanted: ColumnElement[bool], versions: dict[tuple[str, int], Definition],
             today: Any) -> list[int]:
    """The ids of the running cycles matching `wanted` that are past their stage's due date."""
    candidates = list(session.execute(select(Cycle.id, Cycle.definition_id, Cycle.definition_version, Cycle.year,
                                             Cycle.state).where(wanted, Cycle.status == "active")))
    moved = moved_days(session, [c.id for c in candidates]) if candidates else {}
    timelines: dict[tuple[str, int, int], Timeline] = {}
    found = []
    for c in candidates:
        definition = versions[(c.definition_id, c.definition_version)]
        if c.id in moved:
            timeline = Timeline(definition, c.year, moved[c.id])
        else:
            key = (c.definition_id, c.definition_version, c.year)
            timeline = timelines.get(key) or timelines.setdefault(key, Timeline(definition, c.year))
        due = timeline.stage_due(c.state)
        if due is not None and working_days_between(today, due) < 0:
            found.append(c.id)
    return found


def _choices(groups: list[Any], hidden: list[Any], mine: dict[tuple[str, int], Definition]
             ) -> tuple[dict[str, str], list[int], dict[str, str]]:
    """The strategies, years and boards of the person's cycles (less those withheld), for the filters."""
    left: dict[tuple[str, int, int, str], int] = {(g[0], g[1], g[2], g[3]): g[4] for g in groups}
    for h in hidden:
        left[(h[0], h[1], h[2], h[3])] -= 1
    definitions, years, boards = {}, set(), {}
    for (definition_id, version, year, state), count in left.items():
        if count <= 0:
            continue
        definition = mine[(definition_id, version)]
        definitions[definition_id] = definition.title
        years.add(year)
        board = definition.stages[state].board if state in definition.stages else None
        if board:
            boards[board] = definition.boards[board].name
    return definitions, sorted(years, reverse=True), boards
