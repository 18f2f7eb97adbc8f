"""The definition format: what a cycle definition says and the rules read straight from it.

Holds the model (`model`), the YAML reader and the loader with one section reader per part of the
file, templating, planning, the working-day calendar and timeline, the compiled machine, gates,
entitlement and the diagram. Pure: it may import only `workflow.errors` and the standard library,
PyYAML, Jinja2, holidays and transitions; never the database, the clock or the other subpackages.
"""
