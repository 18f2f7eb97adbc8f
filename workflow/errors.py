"""The errors a user of strategy-cycle can meet, under one root class.

Each carries the context a person needs to act on it; the CLI is the one place
that turns them into a message on stderr and an exit code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class CycleError(Exception):
    """Root of every error strategy-cycle reports to a user."""

    exit_code = 1
    # The reason a refused fire is counted under in `cycle_refusals_total` (`workflow/store/tally.py`).
    reason = "other"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, located in its file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


QUOTE_MAX = 40  # characters of a wrong value a problem quotes
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def quoted(value: object) -> str:
    """A value from the file as a problem quotes it: its first line, at most QUOTE_MAX characters, then '...'.

    The field and what was expected say what is wrong; the file itself is never echoed back. It may not be a
    definition at all, and the problem may be shown to someone who may not read the file."""
    text = str(value)
    lines = text.splitlines()
    short = _CONTROL.sub(" ", lines[0] if lines else text)[:QUOTE_MAX]
    return f"'{short}...'" if short != text else f"'{short}'"


class ConfigurationError(CycleError):
    """A setting from the environment cannot be used."""


class DefinitionError(CycleError):
    """A cycle definition is invalid; every problem found is listed."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"the definition has {count} {noun}:\n{lines}")


class UnknownDefinition(CycleError):
    """No definition with that id (or file) could be found."""


class DefinitionChanged(CycleError):
    """A definition's file changed without its version being raised."""


class AuditTrailBroken(CycleError):
    """A history row no longer matches its place in the hash chain: the audit trail was altered."""


class NotFound(CycleError):
    """A cycle, paper or other record named by the user does not exist."""

    reason = "not_found"


class Refused(CycleError):
    """A command was refused; nothing was written."""

    exit_code = 3


class NotAllowedFromHere(Refused):
    """The trigger exists but cannot be fired from the cycle's current stage."""

    reason = "not_allowed"


class UnknownTrigger(Refused):
    """The definition has no trigger of that name."""

    reason = "not_allowed"


class RoleMissing(Refused):
    """The actor does not hold a role the command needs."""

    reason = "missing_role"


class UnknownActor(Refused):
    """The actor named with --as is not in the cycle's directory."""

    reason = "missing_role"


class GateNotMet(Refused):
    """A gate on the transition is not yet satisfied."""

    reason = "gate_not_met"

    def __init__(self, message: str, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(message)


class InvalidInput(Refused):
    """A command's arguments do not make sense for this cycle."""

    reason = "invalid_input"


class FieldValuesInvalid(InvalidInput):
    """Case field values that do not fit their fields: every problem at once, one sentence per field."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(". ".join(problems.values()))


class MeetingNotHeld(InvalidInput):
    """A decision dated by a meeting still to come: decisions are recorded for meetings held."""


class CycleFinished(Refused):
    """The cycle has reached its final stage; nothing more can be fired."""

    reason = "finished"


class ConcurrentChange(Refused):
    """Someone else changed the cycle between our read and our write."""

    reason = "race"

    exit_code = 4


class Busy(ConcurrentChange):
    """Another change held the cycle (or the embedded database) longer than a command waits; nothing was written.

    A ConcurrentChange, so whatever retries a race (the workers, the sweep) retries this too."""

    reason = "busy"
