"""My work kept between requests: a request works out again only the running cycles that changed.

What My work shows of a cycle follows from its facts (`running_facts`), the day and the person. The
facts are kept with the cycle's stamp, read fresh from the database on every request: its key, the
definition version it runs on and its `version` column. Every command that changes a fact My work
reads (a fire or a strand moved, a paper attached, a decision recorded, amended or rescinded, a panel
chosen, a case field set, a meeting moved, a move to another definition version) updates the cycle's
row under its optimistic check, which bumps `version` in the same transaction. So a copy kept in one
process is never used once another process has changed the cycle: the next request reads the new
version there and works that cycle out again. Each person's items are kept with the day too, since
the working days left change at midnight (the day comes from the Store's clock, so a test's simulated
clock moves it).

On PostgreSQL a request first asks for a digest of every running cycle's id and version (one row,
worked out by the server): while it is the one a person's whole list was kept with, nothing has
started, ended or changed, and the list is answered as it was, with no cycle row sent.

Kept per `Store` (a process may hold several, each with its own database and clock) and bounded: the
cycles used most recently, `CYCLES_KEPT` of them, `PEOPLE_KEPT` people's items a cycle, and the
`LISTS_KEPT` whole lists asked for most recently.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from workflow.definition.gates import Facts
from workflow.store.unit import Store

CYCLES_KEPT = 5_000
PEOPLE_KEPT = 16
LISTS_KEPT = 64

Stamp = tuple[str, str, int, int]
"""What says a cycle's kept work still holds: (key, definition id, definition version, version)."""


def stamp_of(row: Any) -> Stamp:
    """The stamp of a cycle row read for this request (any row with those columns)."""
    return (row.key, row.definition_id, row.definition_version, row.version)


@dataclass
class _Cycle:
    stamp: Stamp
    facts: Facts
    # (person id, day) -> what My work found for them on that day, most recent last
    work: OrderedDict[tuple[str, dt.date], Any] = field(default_factory=OrderedDict)


class KeptWork:
    """Each cycle's facts and each person's work out of them, while the cycle's stamp stays the same."""

    def __init__(self, cycles: int = CYCLES_KEPT, people: int = PEOPLE_KEPT, lists: int = LISTS_KEPT) -> None:
        self._cycles: OrderedDict[int, _Cycle] = OrderedDict()
        self._lists: OrderedDict[tuple[str, dt.date, str], Any] = OrderedDict()
        self._size, self._people, self._lists_kept = cycles, people, lists
        self._lock = threading.Lock()  # the web answers in several threads at once

    def whole(self, who: str, today: dt.date, running: str) -> Any | None:
        """A person's whole list, kept while `running` (a digest of every running cycle's stamp) is the same."""
        with self._lock:
            found = self._lists.get((who, today, running))
            if found is not None:
                self._lists.move_to_end((who, today, running))
            return found

    def keep_whole(self, who: str, today: dt.date, running: str, found: Any) -> None:
        with self._lock:
            self._lists[(who, today, running)] = found
            self._lists.move_to_end((who, today, running))
            while len(self._lists) > self._lists_kept:
                self._lists.popitem(last=False)

    def facts(self, cycle_id: int, stamp: Stamp) -> Facts | None:
        """The facts kept for the cycle as it is now, or None when they are not kept or it changed since."""
        return self.find(cycle_id, stamp, "", dt.date.min)[0]

    def find(self, cycle_id: int, stamp: Stamp, person: str, today: dt.date) -> tuple[Facts | None, Any | None]:
        """The facts kept for the cycle as it is now and what was found for `person` in them on `today`, each
        None when not kept (or kept of the cycle before it changed)."""
        with self._lock:
            kept = self._cycles.get(cycle_id)
            if kept is None or kept.stamp != stamp:
                return None, None
            self._cycles.move_to_end(cycle_id)
            return kept.facts, kept.work.get((person, today))

    def keep_facts(self, cycle_id: int, stamp: Stamp, facts: Facts) -> None:
        """Keep the cycle's facts (read at `stamp`), forgetting what was kept of it before."""
        with self._lock:
            self._cycles[cycle_id] = _Cycle(stamp, facts)
            self._cycles.move_to_end(cycle_id)
            while len(self._cycles) > self._size:
                self._cycles.popitem(last=False)

    def work(self, cycle_id: int, stamp: Stamp, person: str, today: dt.date) -> Any | None:
        """What was found for `person` in the cycle on `today`, while the cycle is as it was then."""
        with self._lock:
            kept = self._cycles.get(cycle_id)
            if kept is None or kept.stamp != stamp:
                return None
            return kept.work.get((person, today))

    def keep_work(self, cycle_id: int, stamp: Stamp, person: str, today: dt.date, found: Any) -> None:
        """Keep what was found for `person` on `today`; nothing when the cycle changed meanwhile."""
        with self._lock:
            kept = self._cycles.get(cycle_id)
            if kept is None or kept.stamp != stamp:
                return
            kept.work[(person, today)] = found
            kept.work.move_to_end((person, today))
            while len(kept.work) > self._people:
                kept.work.popitem(last=False)

    def __len__(self) -> int:
        return len(self._cycles)


_KEPT: weakref.WeakKeyDictionary[Store, KeptWork] = weakref.WeakKeyDictionary()
_MAKING = threading.Lock()


def kept_for(store: Store) -> KeptWork:
    """The work kept for `store`'s requests (made on first use, gone with the store)."""
    with _MAKING:
        kept = _KEPT.get(store)
        if kept is None:
            kept = _KEPT[store] = KeptWork()
        return kept
