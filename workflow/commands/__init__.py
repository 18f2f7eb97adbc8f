"""The commands: each changes a cycle in one transaction, or refuses with nothing written.

One module per command or family: `start`, `fire` (stage and strand fires), `decide` (and
`decision_rules`), `attach`, `meetings`, `migrate`, `repair`, the deadline `sweep`; with the
lookups every command shares (`cycles`), the facts gates read (`facts`) and the rows a command
writes (`rows`). May import `workflow.definition.model`, `workflow.store`, `workflow.time` and
`workflow.errors`; never reads or the outer layers.
"""
