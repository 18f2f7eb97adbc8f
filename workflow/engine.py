"""The engine: one object for the commands and reads, as the CLI, the API, the pages and the workers use it.

A thin facade. Each command lives in its own module of `workflow.commands` (start, fire, decide,
attach, ...) and each read in `workflow.reads`; the engine holds what they run against (a
`store.unit.Store`: sessions, catalog, clock, paper files, compiled machines) and passes itself.
Each command is one database transaction: it loads the cycle, checks the actor's role and the
gates, and writes the new state (with an optimistic version check), an append-only history row
and the domain events into the outbox. A refused command raises before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from workflow.commands import attach, case_fields, cycles, decide, fire, retention, start
from workflow.commands.attach import SCHEDULE_12A, TITLE_MAX
from workflow.commands.cycles import MAX_ROW_ID, SYSTEM_ACTOR, CycleRow
from workflow.commands.facts import facts
from workflow.commands.results import Attached, Fired, Recorded
from workflow.definition.gates import Facts
from workflow.definition.machine import MachineCache
from workflow.definition.model import Definition, Gate
from workflow.reads import case_data, history, register, status
from workflow.reads.case_data import FieldShown
from workflow.reads.register import Register
from workflow.reads.status import Action, Status
from workflow.store.attachment import MAX_PAPER_BYTES
from workflow.store.audit_seal import Sealer
from workflow.store.catalog import Catalog
from workflow.store.models import Cycle
from workflow.store.paper_store import PaperStore
from workflow.store.unit import CONCURRENT_CHANGE, Store
from workflow.time.clock import Clock

__all__ = ["CONCURRENT_CHANGE", "MAX_ROW_ID", "SCHEDULE_12A", "SYSTEM_ACTOR", "TITLE_MAX", "Action", "Attached",
           "Engine", "Fired", "Recorded", "Status"]


class Engine(Store):
    def __init__(
        self, *, sessions: sessionmaker[Session], catalog: Catalog, clock: Clock, papers: PaperStore,
        machines: MachineCache | None = None, max_paper_bytes: int = MAX_PAPER_BYTES, sealer: Sealer | None = None,
    ) -> None:
        super().__init__(sessions=sessions, catalog=catalog, clock=clock, papers=papers, machines=machines,
                         max_paper_bytes=max_paper_bytes, sealer=sealer)

    # -- lookups every command shares (workflow.commands.cycles) ----------------------

    def find_cycle(self, session: Session, ref: str | int) -> Cycle:
        """The cycle by key or id, or NotFound with the nearest key."""
        return cycles.find_cycle(session, ref)

    def cycle_id(self, session: Session, ref: str | int) -> int:
        """The id of the cycle a user named (by key or id); NotFound otherwise."""
        return cycles.find_cycle(session, ref).id

    def definition_of(self, cycle_ref: str | int) -> tuple[Cycle, Definition]:
        """The cycle and the definition version it runs on; NotFound when there is no such cycle."""
        with self.sessions() as session:
            cycle = cycles.find_cycle(session, cycle_ref)
            return cycle, cycles.definition_of(self, session, cycle)

    def roles_of(self, definition: Definition, actor: str) -> tuple[str, ...]:
        """The roles `actor` holds in the definition's directory, as every command checks them."""
        return cycles.roles_of(definition, actor)

    def require(self, definition: Definition, actor: str, command: str) -> None:
        """Refuse (RoleMissing) unless `actor` holds a role the definition grants `command` to."""
        cycles.require(definition, actor, command)

    def acting(self, session: Session, cycle_ref: str | int, actor: str, command: str) -> tuple[Cycle, Definition]:
        """The running cycle and its definition version, once `actor` is shown to hold a role for `command`."""
        return cycles.acting(self, session, cycle_ref, actor, command)

    @staticmethod
    def reader(definition: Definition, person: str | None) -> str | None:
        """The person a read is for (None: the public), checked against the cycle's directory."""
        return cycles.reader(definition, person)

    def facts(self, session: Session, cycle: Cycle, definition: Definition, now: dt.datetime,
              gates: Iterable[Gate] | None = None) -> Facts:
        """What the gates read: every fact, or only the kinds that `gates` need (no query for none)."""
        return facts(session, cycle, definition, now, gates)

    # -- commands (workflow.commands) -------------------------------------------------------

    def start(self, definition_ref: str | Path, year: int | None, actor: str, *, comment: str | None = None,
              outside_folder: bool = False, reference: str | None = None,
              fields: Mapping[str, object] | None = None) -> Fired:
        return start.start(self, definition_ref, year, actor, comment=comment, outside_folder=outside_folder,
                           reference=reference, fields=fields)

    def set_fields(self, cycle_ref: str | int, values: Mapping[str, object], actor: str, *,
                   comment: str | None = None) -> list[str]:
        return case_fields.set_fields(self, cycle_ref, values, actor, comment=comment)

    def retention_run(self, documents: PaperStore | None = None) -> list[retention.Erased]:
        """Erase personal data past its retention period; `documents`: where generated documents are kept."""
        return retention.retention_run(self, documents)

    def case_fields(self, cycle_ref: str | int, reader: str | None = None) -> list[FieldShown]:
        return case_data.case_fields(self, cycle_ref, reader)
    def fire(self, cycle_ref: str | int, trigger: str, actor: str, *, strand: str | None = None,
             comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
        return fire.fire(self, cycle_ref, trigger, actor, strand=strand, comment=comment, data=data)

    def fire_seated(self, seat: Callable[[Session], tuple[CycleRow | str | int, str]], trigger: str, *,
                    strand: str | None = None, comment: str | None = None) -> Fired:
        """`fire` with the cycle and the actor given by `seat`, a read in the fire's own transaction
        (`workflow.commands.fire.fire_seated`)."""
        return fire.fire_seated(self, seat, trigger, strand=strand, comment=comment)

    def fire_in(self, session: Session, cycle_ref: str | int, trigger: str, actor: str, *,
                strand: str | None = None, comment: str | None = None, data: dict[str, Any] | None = None) -> Fired:
        """`fire` inside a transaction the caller owns (the sweep marks its deadline in the same one)."""
        return fire.fire_in(self, session, cycle_ref, trigger, actor, strand=strand, comment=comment, data=data)

    def decide(
        self, cycle_ref: str | int, board: str, item: str, actor: str, *,
        votes_for: list[str] = (), votes_against: list[str] = (), abstain: list[str] = (),  # type: ignore[assignment]
        apologies: list[str] = (), present: list[str] = (), interests: dict[str, str] | None = None,  # type: ignore[assignment]
        resolution: str | None = None, meeting_date: dt.date | None = None, defer: bool = False,
        priorities: list[tuple[str, str]] = (),  # type: ignore[assignment]
        comment: str | None = None, amends: int | None = None, rescinds: int | None = None,
        reason: str | None = None,
    ) -> Recorded:
        return decide.decide(
            self, cycle_ref, board, item, actor, votes_for=votes_for, votes_against=votes_against, abstain=abstain,
            apologies=apologies, present=present, interests=interests, resolution=resolution,
            meeting_date=meeting_date, defer=defer, priorities=priorities, comment=comment, amends=amends,
            rescinds=rescinds, reason=reason)

    def rescind(self, cycle_ref: str | int, decision_id: int, actor: str, *, reason: str | None,
                meeting_date: dt.date | None = None, comment: str | None = None) -> Recorded:
        """Record that a board rescinded decision `decision_id`: a new row; the old one stays as it was."""
        return decide.rescind(self, cycle_ref, decision_id, actor, reason=reason, meeting_date=meeting_date,
                              comment=comment)

    def attach(self, cycle_ref: str | int, paper: str, file: Path, actor: str, *, exempt: int | None = None,
               title: str | None = None, comment: str | None = None, stage: str | None = None) -> Attached:
        """Attach a paper for `stage` (default: the cycle's current stage), whose board it then belongs to."""
        return attach.attach(self, cycle_ref, paper, file, actor, exempt=exempt, title=title, comment=comment,
                             stage=stage)

    # -- reads (workflow.reads) -----------------------------------------------------------

    def list_cycles(self) -> list[dict[str, Any]]:
        return status.list_cycles(self)

    def running_by_version(self, shown: int) -> dict[tuple[str, int], tuple[list[dict[str, Any]], int]]:
        """The first `shown` running cycles on each definition version, and how many run on it."""
        return status.running_by_version(self, shown)

    def register(self, definition_ref: str, reader: str | None = None) -> Register:
        """The open instances of a definition; exempt ones listed only to a `reader` entitled to them."""
        return register.register(self, definition_ref, reader)

    def hidden_cycles(self, cycle_ids: list[int], reader_of: Callable[[Definition], str | None]) -> set[int]:
        """The cycles a list leaves out for their reader: at a private stage they are not entitled to."""
        return register.hidden_cycles(self, cycle_ids, reader_of)

    def status(self, cycle_ref: str | int, reader: str | None = None) -> Status:
        """Where the cycle stands; exempt papers are named only to a `reader` entitled to them."""
        return status.status(self, cycle_ref, reader)

    def history(self, cycle_ref: str | int, reader: str | None = None) -> list[dict[str, Any]]:
        """The audit trail; an exempt attach's comment and fingerprint only for a `reader` entitled to the paper."""
        return history.history(self, cycle_ref, reader)

    def outbox(self, cycle_ref: str | int) -> list[dict[str, Any]]:
        return history.outbox(self, cycle_ref)
