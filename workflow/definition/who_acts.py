"""Who can meet a gate: the people a cycle waits for, by name and by the role that lets them act.

One rule for every output: a refusal's sentence (`gates.unmet`), "waiting for" in My work
(`workflow.reads.mywork`) and the cycle page all name the same people. Pure: reads the directory only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workflow.definition.derived import kept
from workflow.definition.model import Board, Definition, Membership, Person


@dataclass(frozen=True)
class Actor:
    """A person who can do what is waited for, with the role that lets them."""

    person: str  # their id in the definition's directory
    name: str  # "Helen Marsh", or their title where the directory gives no name
    role: str  # "committee manager": the role that lets them act, in words

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


def role_words(role: str) -> str:
    """'committee manager' for `committee_manager`: the definition describes a role in a sentence, not a title."""
    return role.replace("_", " ")


def holders(definition: Definition, roles: Iterable[str], *, only: Iterable[str] | None = None) -> list[Actor]:
    """The people holding one of `roles` (in the order given: the first role a person holds names them)."""
    wanted = tuple(dict.fromkeys(roles))
    allowed = None if only is None else frozenset(only)

    def work() -> tuple[Actor, ...]:
        found = []
        for person in definition.people.values():
            role = next((r for r in wanted if r in person.roles), None)
            if role is not None and (allowed is None or person.id in allowed):
                found.append(Actor(person.id, person.name or person.title, role_words(role)))
        return tuple(found)

    # Kept per parsed definition (`derived`): My work asks it for every cycle's gates and strands.
    return list(kept.get(definition, ("holders", wanted, allowed), work))


def serves(definition: Definition, board: str, person: str) -> bool:
    """Does `person` serve this board (its committee manager is one of its officers)?

    Someone who may record decisions but sits on no board records them for every board.
    """
    on_boards = [b for b in definition.boards.values() if any(m == person for m, _ in b.members)]
    return not on_boards or any(m == person for m, _ in definition.boards[board].members)


def may(definition: Definition, person: str, command: str) -> bool:
    """Does `person` hold a role the definition grants `command` to? The question `require` refuses on, asked
    where a page or an email only offers a way to act (the command checks again when it is used)."""
    return bool(set(definition.roles_of(person)) & set(definition.permissions.get(command, ())))


def may_attach(definition: Definition, person: str) -> bool:
    """May `person` attach papers (the engine's own check for `attach`)?"""
    return may(definition, person, "attach")


def may_record(definition: Definition, board: str, person: str) -> bool:
    """Does `person` record this board's decisions: may they `decide`, and do they serve the board?"""
    return may(definition, person, "decide") and serves(definition, board, person)


def keeps_board(board: Board, person: str, people: Mapping[str, Person],
                permissions: Mapping[str, tuple[str, ...]]) -> bool:
    """The committee-manager rule: `person` keeps `board`'s calendar, agendas and minutes when they may record
    decisions and are its organiser or an officer member of it. Someone not on the board manages none of its
    business. Read from the parts of a definition, so the loader can hold a definition being read to it."""
    found = people.get(person)
    if found is None:
        return False
    held = set(permissions.get("decide", ())) & set(found.roles)
    return bool(held) and (board.organiser == person or (person, Membership.OFFICER) in board.members)


def recorders(definition: Definition, board: str) -> list[Actor]:
    """Who records the board's decisions: those who may `decide` and serve the board, its organiser first."""
    found = [a for a in holders(definition, definition.permissions.get("decide", ()))
             if serves(definition, board, a.person)]
    organiser = definition.boards[board].organiser
    return sorted(found, key=lambda a: a.person != organiser)


def attachers(definition: Definition, stage: str | None) -> list[Actor]:
    """Who attaches the papers a stage waits for: its owners where they may attach, else anyone who may."""
    may = definition.permissions.get("attach", ())
    owner = definition.stages[stage].owner if stage in definition.stages else None
    if owner and owner in may:
        return holders(definition, [owner, *may], only={a.person for a in holders(definition, [owner])})
    return holders(definition, may)


def strand_movers(definition: Definition, stage: str, strand: str, state: str) -> list[Actor]:
    """Who moves a strand on: its owner's role holders, else those who may fire its next step."""
    spec = definition.stages[stage].strand(strand)
    if spec is None:
        return []
    if spec.owner:
        return holders(definition, [spec.owner])
    lifecycle = definition.lifecycles[spec.lifecycle]
    return holders(definition, [r for t in lifecycle.transitions if state in t.sources and t.at is None
                                for r in t.roles])


def either(actors: list[Actor]) -> str:
    """'Helen Marsh (committee manager)', 'A or B', 'A, B or C'."""
    said = [str(a) for a in actors]
    return said[0] if len(said) <= 1 else ", ".join(said[:-1]) + " or " + said[-1]


def does(actors: list[Actor], action: str, infinitive: str) -> str:
    """'Helen Marsh (committee manager) records it', or, where the directory names nobody, that nobody may."""
    if not actors:
        return f"nobody in the directory holds a role that may {infinitive}"
    return f"{either(actors)} {action}"
