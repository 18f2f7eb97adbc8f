"""Human titles for the ids a definition uses: what a page says instead of `assessment_sign_off`."""

from __future__ import annotations

from workflow.definition.model import Definition


def cycle_title(definition: Definition, year: int, key: str) -> str:
    """'Community Safety Strategy, 2021 to 2022': a cycle year that starts mid-year spans two calendar years.
    A case (`instances: cases`) is named by its reference, its `key`: 'Case review TST-2026-001'."""
    if definition.instances.cases:
        return f"{definition.title} {key}"
    return f"{definition.title}, {year} to {year + 1}" if definition.starts_in > 1 else f"{definition.title}, {year}"


def stage_title(definition: Definition, stage: str) -> str:
    found = definition.stages.get(stage)
    return found.title if found else stage


def trigger_title(definition: Definition, trigger: str, strand: str | None = None) -> str:
    """The title of a stage trigger, or of a strand's trigger when `strand` is given."""
    if strand:
        for stage in definition.stages.values():
            spec = stage.strand(strand)
            if spec is not None:
                lifecycle = definition.lifecycles[spec.lifecycle]
                found = next((t for t in lifecycle.transitions if t.trigger == trigger), None)
                return f"{spec.title}: {(found.title if found and found.title else trigger)}"
    found = next((t for t in definition.transitions if t.trigger == trigger), None)
    return found.title if found and found.title else trigger


def person_title(definition: Definition, person: str) -> str:
    """'Sam Okafor, Head of Partnerships' where the directory gives a name; the title alone otherwise."""
    found = definition.people.get(person)
    if found is None:
        return person
    return f"{found.name}, {found.title}" if found.name else found.title


def board_name(definition: Definition, board: str | None) -> str:
    if not board:
        return ""
    found = definition.boards.get(board)
    return found.name if found else board


def sentence(text: str) -> str:
    """An error or notice as a sentence: a capital first and a full stop last."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def role_title(definition: Definition, role: str) -> str:
    """'Report author': a role's id in words (the definition describes a role in a sentence, not a title)."""
    return role.replace("_", " ").capitalize() if role in definition.roles else role
