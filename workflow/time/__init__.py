"""Time: the injectable clock and the dates a running cycle keeps.

Holds the clock, the dates a cycle has actually reached (`actuals`), deadline and reminder rows
(`deadlines`, `reminder_times`) and dates moved with a meeting (`moved_dates`). May import
`workflow.definition.model`, `workflow.store` and `workflow.errors`; never commands or reads.
"""
