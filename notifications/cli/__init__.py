"""The notifications layer's `cycle` commands: one module per group (`reminders`, `mail`, `documents`), and
`agenda pack` and `minutes save`, added to the core's `agenda` and `minutes` groups.

Adds its groups to the core's top group (`workflow.cli.base.main`); may import workflow and
notifications, never tasks or web.
"""

from __future__ import annotations

from notifications.cli import agenda_pack, documents, mail, minutes, reminders  # noqa: F401  (register their commands)
