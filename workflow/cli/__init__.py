"""The `cycle` command line of the core: one module per command group, over the engine's commands and reads.

`base` holds the top group (`main`), its error handling and the shared options; `definitions`,
`commands` (what changes a cycle), `meetings`, `panels`, `reads`, `operations` (db, clock) and `repair`
(deadlines, events) each add their commands to it. Adapters only: parse input, call
`workflow.engine.Engine` or a command/read module, word the result. May import every workflow
subpackage; the outer layers (notifications, tasks, web) add their own groups in their `cli`.
"""

from __future__ import annotations

from workflow.cli import (  # noqa: F401  (register their commands)
    agenda,
    case_fields,
    commands,
    contacts,
    definitions,
    meetings,
    operations,
    panels,
    reads,
)
from workflow.cli.base import (
    ROW_ID,
    YEAR,
    CycleGroup,
    actor_option,
    app_for,
    emit_json,
    err,
    json_option,
    main,
    operating_system_account,
    out,
    parse_date,
    plain,
    reader_option,
    withheld_note,
)

__all__ = ["ROW_ID", "YEAR", "CycleGroup", "actor_option", "app_for", "emit_json", "err", "json_option", "main",
           "operating_system_account", "out", "parse_date", "plain", "reader_option", "withheld_note"]
