"""A case's fields as a reader may see them: personal values only for those entitled to the case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.commands.case_fields import values_of
from workflow.commands.contacts import ADDED, CHANGED, REMOVED
from workflow.commands.contacts import HISTORY_ACTIONS as CONTACT_CHANGES
from workflow.commands.cycles import definition_of, find_cycle
from workflow.commands.cycles import reader as checked_reader
from workflow.commands.letters import POSTED
from workflow.commands.retention import counted
from workflow.definition.case_fields import WITHHELD, shown
from workflow.definition.entitlement import may_see_personal
from workflow.definition.formatting import long_date
from workflow.definition.model import Definition
from workflow.store.models import CaseFieldValue
from workflow.store.unit import Store

ERASED = "(erased after the retention period)"


@dataclass(frozen=True)
class FieldShown:
    id: str
    title: str
    type: str
    value: str  # as the reader sees it: "" unset, WITHHELD, ERASED, or the value (a date written out)
    raw: str  # the stored value for a form to show again; "" when withheld, erased or unset
    personal: bool
    required_at: str | None
    choices: tuple[str, ...]


def shown_fields(definition: Definition, rows: dict[str, CaseFieldValue], reader: str | None) -> list[FieldShown]:
    entitled = may_see_personal(definition, reader)
    found = []
    for spec in definition.fields.values():
        row = rows.get(spec.id)
        value = row.value if row is not None else None
        text = ERASED if row is not None and row.erased_at is not None else shown(spec, value, entitled)
        raw = value or "" if (entitled or not spec.personal) else ""
        found.append(FieldShown(spec.id, spec.title, spec.type, text, raw, spec.personal, spec.required_at,
                                spec.choices))
    return found


def case_fields(engine: Store, cycle_ref: str | int, reader: str | None = None) -> list[FieldShown]:
    """Every field the cycle's definition declares, in its order, with its value as `reader` may see it."""
    with engine.sessions() as session:
        cycle = find_cycle(session, cycle_ref)
        definition = definition_of(engine, session, cycle)
        reader = checked_reader(definition, reader)
        return shown_fields(definition, values_of(session, cycle.id), reader)


def template_fields(definition: Definition, rows: dict[str, CaseFieldValue], entitled: bool) -> dict[str, Any]:
    """`fields` as a template is given it: every declared field, "" when unset or erased, personal ones
    WITHHELD unless the output is only for the entitled (an exempt document, an entitled recipient)."""
    out: dict[str, Any] = {}
    for spec in definition.fields.values():
        row = rows.get(spec.id)
        value = row.value if row is not None else None
        out[spec.id] = shown(spec, value, entitled)
    return out


def history_words(definition: Definition, action: str, data: dict[str, Any]) -> str:
    """A `fields` or `erase` history row in words; the row holds a personal value only as a digest, so no reader
    (nor a public record) can be shown one."""
    def title(name: str) -> str:
        spec = definition.fields.get(name)
        return spec.title if spec else name

    if action in CONTACT_ACTIONS:
        return contact_words(definition, action, data)
    if action == "erase":
        parts = [", ".join(title(n).lower() for n in data.get("erased", [])), counted(data.get("records") or {})]
        return "Erased the personal data after its retention period: " + "; ".join(p for p in parts if p)
    said = [f"{title(name).lower()} {_value(definition, name, value)}" for name, value in data.get("fields", {}).items()]
    return "Set the case details: " + "; ".join(said)


def _value(definition: Definition, name: str, value: Any) -> str:
    if not isinstance(value, str):
        return "(personal data, kept out of the history)"
    spec = definition.fields.get(name)
    return f"'{shown(spec, value, True) if spec else value}'"


def contact_words(definition: Definition, action: str, data: dict[str, Any]) -> str:
    """A contact's change or a letter posted, in words: its number, case role and which values changed (the row
    holds them only as digests)."""
    if action == POSTED:
        return f"Marked letter {data.get('letter')} posted on {long_date(str(data.get('posted_on')))}"
    role = definition.case_roles.get(str(data.get("role")), str(data.get("role")))
    verb = {ADDED: "Added", CHANGED: "Changed", REMOVED: "Removed"}[action]
    values = [name for name in data.get("values", {})]
    said = f" ({', '.join(values)}: personal data, kept out of the history)" if values else ""
    return f"{verb} contact {data.get('contact')}, {role.lower()}{said}"


CONTACT_ACTIONS = (*CONTACT_CHANGES, POSTED)
HISTORY_ACTIONS = ("fields", "erase", *CONTACT_ACTIONS)

__all__ = ["CONTACT_ACTIONS", "ERASED", "HISTORY_ACTIONS", "WITHHELD", "FieldShown", "case_fields", "history_words", "shown_fields", "template_fields"]
