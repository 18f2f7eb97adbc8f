"""The notifications layer's `cycle` commands: one module per group (`reminders`, `mail`, `documents`, `minutes save`).

Adds its groups to the core's top group (`workflow.cli.base.main`); may import workflow and
notifications, never tasks or web.
"""

from __future__ import annotations

from notifications.cli import documents, mail, minutes, reminders  # noqa: F401  (register their commands)
