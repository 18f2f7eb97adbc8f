"""A stage's strands: parallel pieces of work, each following a lifecycle, with their own dates."""

from __future__ import annotations

from workflow.definition.loader_time import TimeSections
from workflow.definition.model import DateExpr, Strand
from workflow.definition.reader import TIMING_FIELDS
from workflow.definition.yamlfile import YMap


class StrandSections(TimeSections):
    def read_strands(self, snode: YMap, field: str) -> list[Strand]:
        if "strands" not in snode:
            return []
        strands: list[Strand] = []
        for sid, raw, line in self.r.entries(self.r.mapping(snode["strands"], snode.line_of("strands"),
                                                            f"{field}.strands"), f"{field}.strands"):
            sfield = f"{field}.strands.{sid}"
            node = self.r.mapping(raw, line, sfield)
            if node is None:
                continue
            self.r.keys(node, ("title", "lifecycle", "owner", "due", "at", *TIMING_FIELDS), sfield)
            title = self.r.get(node, "title", sfield, str, default=sid)
            lifecycle = self.r.get(node, "lifecycle", sfield, str)
            if lifecycle is not None and lifecycle not in self.lifecycles:
                self.r.unknown("lifecycle", lifecycle, self.lifecycles, node.line_of("lifecycle"), f"{sfield}.lifecycle")
            owner = self.r.get(node, "owner", sfield, str, required=False)
            if owner is not None:
                self.role_refs(owner, node.line_of("owner"), f"{sfield}.owner", allow_system=False)
            due = self.r.date(node["due"], node.line_of("due"), f"{sfield}.due") if "due" in node else None
            timed: list[tuple[str, DateExpr]] = []
            if "at" in node:
                at_node = self.r.mapping(node["at"], node.line_of("at"), f"{sfield}.at")
                for trigger, when in (at_node or {}).items():
                    aline = at_node.line_of(trigger) if at_node else line
                    known = {t.trigger for t in self.lifecycles[lifecycle].transitions} \
                        if lifecycle in self.lifecycles else set()
                    if lifecycle in self.lifecycles and trigger not in known:
                        self.r.unknown("trigger", trigger, known, aline, f"{sfield}.at.{trigger}")
                    date = self.r.date(when, aline, f"{sfield}.at.{trigger}")
                    if date is not None:
                        timed.append((str(trigger), date))
            strands.append(Strand(sid, title, lifecycle or "", owner, due, tuple(timed),
                                  timing=self.timing(node, line, sfield)))
        return strands
