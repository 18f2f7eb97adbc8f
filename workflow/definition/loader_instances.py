"""The `instances` and `reference` fields: how a definition's instances are keyed."""

from __future__ import annotations

from workflow.definition.instances import CASES, KINDS, TYPED, YEARLY, Instances, pattern_problem
from workflow.definition.loader_base import BuilderBase
from workflow.definition.reader import suggest


class InstanceSections(BuilderBase):
    def read_instances(self) -> Instances:
        r, root = self.r, self.root
        kind = r.get(root, "instances", "", str, required=False, default=YEARLY)
        if kind not in KINDS:
            r.problem(root.line_of("instances"), "instances",
                      f"unknown kind of instances '{kind}'{suggest(str(kind), KINDS)}: write 'yearly' (one cycle a "
                      "year, the default) or 'cases' (many at once, each with its own reference)")
            return Instances()
        reference = r.get(root, "reference", "", str, required=False)
        if kind == YEARLY:
            if "reference" in root:
                r.problem(root.line_of("reference"), "reference",
                          "a yearly definition's cycles are keyed by their year; 'reference' is for "
                          "'instances: cases' only")
            return Instances()
        if reference is None:
            if "reference" not in root:
                r.problem(root.line_of("instances"), "reference",
                          "'instances: cases' needs a 'reference': a pattern such as 'DHR-{year}-{seq:03}' "
                          "(numbered by the database) or 'typed' (the starter gives it)")
            return Instances()
        if reference != TYPED:
            problem = pattern_problem(reference)
            if problem:
                r.problem(root.line_of("reference"), "reference", problem)
                return Instances()
        return Instances(CASES, reference)
