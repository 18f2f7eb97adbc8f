"""Independence: which people two groups share, said by name. Pure: reads the directory only.

The loader refuses two boards declared independent that share a member; the engine refuses a panel chosen for a
cycle that shares a member with a board or panel it is independent of. Both name the shared people with this rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workflow.definition.model import Definition, Person


def names_of(people: Mapping[str, Person], ids: Iterable[str]) -> str:
    """'Ann Lee (Detective Inspector) and Bo Chan (Head of Service)', people by name where the directory has one."""
    said = [f"{people[p].name} ({people[p].title})" if p in people and people[p].name
            else (people[p].title if p in people else p) for p in ids]
    return said[0] if len(said) <= 1 else ", ".join(said[:-1]) + " and " + said[-1]


def members_of(definition: Definition, group: str, chosen: Mapping[str, Iterable[str]]) -> set[str]:
    """The people of a board, or of a panel as chosen for the cycle (`chosen`: panel id -> members)."""
    if group in definition.boards:
        return {p for p, _ in definition.boards[group].members}
    return set(chosen.get(group, ()))


def shared_with(definition: Definition, panel: str, members: Iterable[str],
                chosen: Mapping[str, Iterable[str]]) -> list[tuple[str, list[str]]]:
    """The groups `panel` (with `members`) must be independent of that share someone with it, and whom: the
    panel's own `independent_of`, and every board or panel that declares itself independent of this panel."""
    spec = definition.panels[panel]
    others = list(spec.independent_of)
    others += [b.id for b in definition.boards.values() if panel in b.independent_of]
    others += [p.id for p in definition.panels.values() if panel in p.independent_of]
    found = []
    for other in dict.fromkeys(others):
        shared = [p for p in members if p in members_of(definition, other, chosen)]
        if shared:
            found.append((other, shared))
    return found


def group_name(definition: Definition, group: str) -> str:
    if group in definition.boards:
        return definition.boards[group].name
    found = definition.panels.get(group)
    return found.name if found else group
