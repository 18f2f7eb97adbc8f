"""The notifications layer's `cycle` commands: one module per group (`reminders`, `mail`, `documents`).

Adds its groups to the core's top group (`workflow.cli.base.main`); may import workflow and
notifications, never tasks or web.
"""

from __future__ import annotations

from notifications.cli import documents, mail, reminders  # noqa: F401  (register their commands)
