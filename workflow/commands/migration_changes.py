"""What moving a cycle to another version changes, each change said twice: with the definition's ids (as
`cycle migrate` prints it and the history keeps it) and with its titles (as a page shows it to a person)."""

from __future__ import annotations

import datetime as dt

from workflow.definition.calendar import Timeline
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition, Person

Said = tuple[str, str]
"""One change: (with ids, with titles)."""


def _who(person: Person) -> str:
    return f"{person.name}, {person.title}" if person.name else person.title


def _roles(roles: tuple[str, ...] | list[str]) -> str:
    return ", ".join(r.replace("_", " ") for r in roles) or "no role"


def people(old: Definition, new: Definition) -> list[Said]:
    changes = [(f"{p} joins ({new.people[p].title})", f"{_who(new.people[p])} joins") for p in new.people
               if p not in old.people]
    changes += [(f"{p} leaves ({old.people[p].title})", f"{_who(old.people[p])} leaves") for p in old.people
                if p not in new.people]
    for pid in old.people.keys() & new.people.keys():
        a, b = old.people[pid], new.people[pid]
        if (a.title, a.email, a.roles) != (b.title, b.email, b.roles):
            changes.append((f"{pid} changes: {a.title} <{a.email}> [{', '.join(a.roles)}] → "
                            f"{b.title} <{b.email}> [{', '.join(b.roles)}]",
                            f"{_who(a)} ({a.email}; {_roles(a.roles)}) becomes {_who(b)} ({b.email}; "
                            f"{_roles(b.roles)})"))
    return sorted(changes)


def boards(old: Definition, new: Definition) -> list[Said]:
    changes = [(f"{b} is added ({new.boards[b].name})", f"The {new.boards[b].name} is added") for b in new.boards
               if b not in old.boards]
    changes += [(f"{b} is removed ({old.boards[b].name})", f"The {old.boards[b].name} is removed")
                for b in old.boards if b not in new.boards]
    for bid in old.boards.keys() & new.boards.keys():
        a, b = old.boards[bid], new.boards[bid]
        if a.name != b.name:
            changes.append((f"{bid} is renamed: {a.name} → {b.name}", f"The {a.name} is renamed the {b.name}"))
        if a.quorum != b.quorum:
            changes.append((f"{bid}: quorum {a.quorum} → {b.quorum}", f"{b.name}: quorum {a.quorum} → {b.quorum}"))
        before, after = dict(a.members), dict(b.members)
        for person in sorted(before.keys() | after.keys()):
            if before.get(person) != after.get(person):
                was = before[person].value if person in before else "not a member"
                now = after[person].value if person in after else "not a member"
                named = new.people.get(person) or old.people[person]
                changes.append((f"{bid}: {person} {was} → {now}",
                                f"{b.name}: {_who(named)}, {was.replace('_', ' ')} → {now.replace('_', ' ')}"))
    return sorted(changes)


def planned(definition: Definition, stage: str, timeline: Timeline) -> dict[str, tuple[str, dt.date]]:
    """What entering `stage` plans: by what the CLI calls it, the title a person reads and the date."""
    spec = definition.stages[stage]
    found: dict[str, tuple[str, dt.date]] = {}
    due = timeline.stage_due(stage)
    if due is not None and not spec.final:
        found["the current stage's due date"] = (f"‘{spec.title}’ is due", due)
    for t in definition.transitions_from(stage):
        if t.at is not None:
            found[f"'{t.trigger}' fired by the scheduler"] = (f"‘{t.title or t.trigger}’, on its own",
                                                               timeline.resolve(t.at))
    for strand in spec.strands:
        lifecycle = definition.lifecycles[strand.lifecycle]
        for trigger, when in strand.at:
            title = next((t.title for t in lifecycle.transitions if t.trigger == trigger and t.title), trigger)
            found[f"'{trigger}' on strand '{strand.id}' by the scheduler"] = (
                f"{strand.title}: ‘{title}’, on its own", timeline.resolve(when))
    return found


def deadlines(before: dict[str, tuple[str, dt.date]],
              after: dict[str, tuple[str, dt.date]]) -> list[tuple[dict[str, str | None], str]]:
    """Each planned date the move changes: the CLI's row and a sentence with titles and dates."""
    rows = []
    for what in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(what), after.get(what)
        old_day, new_day = old[1] if old else None, new[1] if new else None
        if old_day != new_day:
            title = (new or old)[0]  # type: ignore[index]
            rows.append(({"what": what, "from": old_day.isoformat() if old_day else None,
                          "to": new_day.isoformat() if new_day else None},
                         f"{title}: {long_date(old_day) if old_day else 'not planned'} → "
                         f"{long_date(new_day) if new_day else 'not planned'}"))
    return rows
