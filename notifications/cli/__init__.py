"""The notifications layer's `cycle` commands: one module per group (`reminders`, `mail`, `documents`), and
`agenda pack`, added to the core's `agenda` group.

Adds its groups to the core's top group (`workflow.cli.base.main`); may import workflow and
notifications, never tasks or web.
"""

from __future__ import annotations

from notifications.cli import agenda_pack, documents, mail, reminders  # noqa: F401  (register their commands)
