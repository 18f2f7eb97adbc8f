"""What a per-case process adds to the definition model: decisions whose outcome chooses the way on, and panels
chosen for each cycle. Imported through `model`, like the rest of the model."""

from __future__ import annotations

from dataclasses import dataclass

OUTCOMES = {"carried": "carried", "not_carried": "lost", "deferred": "deferred"}
"""A decision's outcomes as a definition names them (`outcome:` on a gate, `stays_on:` on a stage), each with the
outcome the register records: a vote not carried is recorded as lost."""

PANEL_COMMAND = "choose_panel"
"""Who chooses a stage's panel: granted where a definition has panels (`Definition.panels`)."""


@dataclass(frozen=True)
class Panel:
    """A panel chosen for each cycle at a stage, from the directory's holders of `choose_from`, sharing no member
    with the boards or panels it is `independent_of`."""

    id: str
    name: str
    stage: str
    choose_from: tuple[str, ...]  # roles
    independent_of: tuple[str, ...] = ()  # board or panel ids
    line: int | None = None


@dataclass(frozen=True)
class PanelGate:
    """The cycle's panel has been chosen: every transition leaving the panel's stage waits for it."""

    panel: str
