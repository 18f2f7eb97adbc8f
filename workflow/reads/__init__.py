"""The read side: what a person or an operator is shown, written nowhere.

Holds a cycle's status and history, the papers and documents a person may see, My work, and
health. May import `workflow.commands` (for the shared lookups and facts) and everything below
it; never the outer layers (engine facade, CLI, app).
"""
