"""How a definition's instances are keyed: one a year (`yearly`), or cases with a reference.

`instances: cases` takes a `reference`: a pattern such as `DHR-{year}-{seq:03}` (the database
keeps the sequence: per definition and year when the pattern names `{year}`, else per
definition) or `typed` (the starter gives it). The reference is the instance's key, so it is
also what every command, page and API takes. Pure: no database, no clock.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from workflow.errors import quoted

YEARLY = "yearly"
CASES = "cases"
TYPED = "typed"
KINDS = (YEARLY, CASES)
PLACEHOLDERS = ("year", "seq")
MAX_REFERENCE = 120  # the width of cycles.key
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
FORMAT_SPEC = re.compile(r"^0?[1-9]?d?$")


@dataclass(frozen=True)
class Instances:
    """`kind` yearly or cases; for cases, `reference` is a pattern with {seq} or 'typed'."""

    kind: str = YEARLY
    reference: str | None = None

    @property
    def cases(self) -> bool:
        return self.kind == CASES

    @property
    def typed(self) -> bool:
        return self.kind == CASES and self.reference == TYPED

    @property
    def numbered(self) -> bool:
        return self.kind == CASES and self.reference not in (None, TYPED)

    @property
    def sequence_by_year(self) -> bool:
        """Whether the sequence starts again each year: when the pattern names {year}."""
        return self.numbered and "year" in fields_of(self.reference or "")


def fields_of(pattern: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]


def pattern_problem(pattern: str) -> str | None:
    """What is wrong with a reference pattern, as a sentence, or None."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"{quoted(pattern)} is not a reference pattern: {exc} (write braces only around year or seq)"
    names = [name for _, name, _, _ in parts if name is not None]
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            return (f"'{{{name}}}' is not a placeholder a reference can use: write {{year}} or {{seq}} "
                    "(for example 'DHR-{year}-{seq:03}'), or 'typed' for a reference the starter types")
        if conversion or not FORMAT_SPEC.match(spec or ""):
            return f"'{{{name}:{spec}}}' has a format a reference cannot use: write {{{name}}} or {{{name}:03}}"
    if names.count("seq") != 1:
        return ("a reference pattern names {seq} exactly once, the number the database gives each instance "
                "(for example 'DHR-{year}-{seq:03}'), or is 'typed' for a reference the starter types")
    if names.count("year") > 1:
        return "a reference pattern names {year} at most once"
    literal = "".join(text for text, _, _, _ in parts)
    if not re.search(r"[A-Za-z]", literal):
        return ("a reference pattern needs a letter outside the braces (such as 'DHR-{year}-{seq:03}'), "
                "so a reference is never taken for a number")
    problem = reference_problem(format_reference(pattern, 2026, 1))
    if problem:
        return f"'{pattern}' makes references such as the one refused here: {problem}"
    return None


def format_reference(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


def reference_problem(reference: str) -> str | None:
    """Why a reference cannot name an instance, as a sentence, or None."""
    if not reference:
        return "a reference cannot be empty"
    if len(reference) > MAX_REFERENCE:
        return f"a reference is at most {MAX_REFERENCE} characters; this one has {len(reference)}"
    if not REFERENCE.match(reference):
        return (f"'{reference}' is not a usable reference: use letters, digits and . _ - "
                "(starting with a letter or digit), with no spaces")
    if reference.isdigit():
        return f"'{reference}' is only digits, which would be read as a cycle's number: add a letter (such as 'DHR-{reference}')"
    return None


def could_make(pattern: str, reference: str) -> bool:
    """Whether a numbered pattern could make `reference` (any year, any number; case ignored)."""
    regex = ""
    for text, name, _, _ in string.Formatter().parse(pattern):
        regex += re.escape(text)
        if name == "year":
            regex += r"\d{4}"
        elif name == "seq":
            regex += r"\d+"
    return re.fullmatch(regex, reference, re.IGNORECASE) is not None


def yearly_key_of(definition_id: str, reference: str) -> bool:
    """Whether `reference` has the form of a yearly cycle's key, `<definition id>-<year>` (case ignored)."""
    return re.fullmatch(re.escape(definition_id) + r"-\d{4}", reference, re.IGNORECASE) is not None
