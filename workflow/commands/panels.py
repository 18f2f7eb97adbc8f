"""Choose a cycle's panel at its stage: members from the directory's holders of the panel's roles, sharing no one
with the boards and panels it must be independent of (`workflow.definition.independence`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from workflow.commands.cycles import acting
from workflow.commands.rows import add_event, add_history
from workflow.definition.independence import group_name, names_of, shared_with
from workflow.definition.loader import suggest
from workflow.definition.model import PANEL_COMMAND, Definition
from workflow.errors import InvalidInput, Refused
from workflow.store.models import Cycle, PanelMember
from workflow.store.unit import Store


class NotIndependent(Refused):
    """A panel chosen shares a member with a board or panel it must be independent of."""

    reason = "not_independent"


@dataclass(frozen=True)
class PanelChosen:
    cycle: str
    panel: str
    name: str
    choice: int
    members: tuple[str, ...]


def chosen_panels(session: Session, cycle: Cycle) -> dict[str, list[str]]:
    """The cycle's panels as last chosen: panel id -> its members' ids."""
    rows = session.execute(select(PanelMember.panel, PanelMember.choice, PanelMember.person)
                           .where(PanelMember.cycle_id == cycle.id).order_by(PanelMember.id)).all()
    latest: dict[str, int] = {}
    for panel, choice, _ in rows:
        latest[panel] = max(choice, latest.get(panel, 0))
    found: dict[str, list[str]] = {}
    for panel, choice, person in rows:
        if choice == latest[panel]:
            found.setdefault(panel, []).append(person)
    return found


def check_members(definition: Definition, panel: str, members: list[str]) -> None:
    """Each member is one person of the directory, listed once, holding a role the panel is chosen from."""
    spec = definition.panels[panel]
    if not members:
        raise InvalidInput(f"name the members of the {spec.name} with --member")
    for person in members:
        if person not in definition.people:
            raise InvalidInput(f"'{person}' is not in the directory of '{definition.id}'"
                               f"{suggest(person, definition.people)}")
        if members.count(person) > 1:
            raise InvalidInput(f"'{person}' is listed twice")
        if not set(definition.people[person].roles) & set(spec.choose_from):
            raise InvalidInput(f"{names_of(definition.people, [person])} holds none of the roles the {spec.name} is "
                               f"chosen from: {', '.join(spec.choose_from)}")


def choose_panel(engine: Store, cycle_ref: str | int, panel: str, members: list[str], actor: str, *,
                 comment: str | None = None) -> PanelChosen:
    """Record the members of the cycle's `panel`, chosen at its stage; refuse, writing nothing, a choice that shares
    someone with a board or panel it must be independent of."""
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle, definition = acting(engine, session, cycle_ref, actor, PANEL_COMMAND)
        if panel not in definition.panels:
            known = definition.panels
            raise InvalidInput(f"'{definition.id}' has no panel '{panel}'{suggest(panel, known)}"
                               + (f" (its panels: {', '.join(known)})" if known else ""))
        spec = definition.panels[panel]
        if cycle.state != spec.stage:
            raise Refused(f"the {spec.name} is chosen at the stage '{definition.stages[spec.stage].title}'; cycle "
                          f"{cycle.key} is at '{definition.stages[cycle.state].title}'")
        members = list(members)
        check_members(definition, panel, members)
        chosen = chosen_panels(session, cycle)
        broken = shared_with(definition, panel, members, chosen)
        if broken:
            said = "; ".join(f"{names_of(definition.people, people)} {'sits' if len(people) == 1 else 'sit'} on the "
                             f"{group_name(definition, other)}" for other, people in broken)
            raise NotIndependent(f"the {spec.name} must be independent of "
                                 f"{' and '.join('the ' + group_name(definition, o) for o, _ in broken)}, but {said}; "
                                 "choose someone else")
        choice = (session.scalar(select(func.max(PanelMember.choice)).where(
            PanelMember.cycle_id == cycle.id, PanelMember.panel == panel)) or 0) + 1
        session.add_all(PanelMember(cycle_id=cycle.id, panel=panel, choice=choice, person=person, chosen_by=actor,
                                    chosen_at=now) for person in members)
        cycle.updated_at = now
        flag_modified(cycle, "updated_at")
        summary = {"panel": panel, "choice": choice, "members": members}
        add_history(engine, session, cycle, now, actor, "choose_panel", trigger=None, from_state=cycle.state,
                    to_state=cycle.state, comment=comment, data=summary)
        add_event(session, cycle, now, "PanelChosen", **summary)
        return PanelChosen(cycle.key, panel, spec.name, choice, tuple(members))
