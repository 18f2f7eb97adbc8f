"""The cycle year, blackout periods, stage timing and dated milestones."""


from __future__ import annotations

import datetime as dt
import difflib

from workflow.definition.calendar import MilestoneLoop, Timeline
from workflow.definition.loader_base import BuilderBase
from workflow.definition.model import (
    ENTERED,
    FIRED,
    Blackout,
    DayMonthDate,
    Definition,
    FixedDate,
    Period,
    Timing,
)
from workflow.definition.reader import (
    MONTHS,
    suggest,
)
from workflow.definition.yamlfile import YList, YMap
from workflow.errors import quoted


class TimeSections(BuilderBase):
    """The cycle year, blackout periods, stage timing and dated milestones."""

    def cycle(self) -> int:
        node = self.section("cycle")
        if node is None:
            if "cycle" not in self.root:
                self.r.problem(self.root.line, "cycle", "missing required field 'cycle' (with 'starts_in: <month>')")
            return 1
        self.r.keys(node, ("starts_in",), "cycle")
        month = self.r.get(node, "starts_in", "cycle", str)
        if month is None:
            return 1
        if month.lower() not in MONTHS:
            self.r.problem(node.line_of("starts_in"), "cycle.starts_in",
                           f"unknown month {quoted(month)}{suggest(month.lower(), MONTHS)}")
            return 1
        return MONTHS[month.lower()]

    def read_blackouts(self) -> None:
        for bid, raw, line in self.r.entries(self.section("blackouts"), "blackouts"):
            field = f"blackouts.{bid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("title", "from", "to", "dates"), field)
            title = self.r.get(node, "title", field, str, default=bid)
            yearly = None
            if "from" in node or "to" in node:
                ends = []
                for key in ("from", "to"):
                    date = self.r.date(node[key], node.line_of(key), f"{field}.{key}") if key in node else None
                    if key not in node:
                        self.r.problem(node.line, f"{field}.{key}", f"missing required field '{key}'")
                    elif date is not None and not isinstance(date, DayMonthDate):
                        self.r.problem(node.line_of(key), f"{field}.{key}", "a yearly blackout runs between a day "
                                       "and month ('24 December'); list one-off periods under 'dates'")
                    elif isinstance(date, DayMonthDate):
                        ends.append((date.month, date.day))
                if len(ends) == 2:
                    yearly = (ends[0], ends[1])
            dates: list[tuple[FixedDate, FixedDate]] = []
            raw_dates = node.get("dates", [])
            if not isinstance(raw_dates, list):
                self.r.problem(node.line_of("dates"), f"{field}.dates", "expected a list of {from: DATE, to: DATE}")
                raw_dates = []
            for i, item in enumerate(raw_dates):
                dline = raw_dates.line_of(i) if isinstance(raw_dates, YList) else line
                dfield = f"{field}.dates[{i}]"
                dnode = self.r.mapping(item, dline, dfield)
                if dnode is None:
                    continue
                self.r.keys(dnode, ("from", "to"), dfield)
                pair = [self.r.get(dnode, key, dfield, dt.date) for key in ("from", "to")]
                if pair[0] is not None and pair[1] is not None:
                    if pair[1] < pair[0]:
                        self.r.problem(dnode.line_of("to"), f"{dfield}.to", f"the period ends ({pair[1]}) before it "
                                       f"begins ({pair[0]})")
                        continue
                    dates.append((FixedDate(pair[0].year, pair[0].month, pair[0].day),
                                  FixedDate(pair[1].year, pair[1].month, pair[1].day)))
            if not any(key in node for key in ("from", "to", "dates")):
                self.r.problem(node.line, field, "a blackout needs 'from' and 'to' (yearly, such as 24 December "
                               "to 2 January) or a list of 'dates'")
            self.blackouts[bid] = Blackout(bid, title, yearly, tuple(dates), line)

    def timing(self, node: YMap, line: int, field: str) -> Timing:
        """A stage's or strand's at_least, at_most, outside and extended_by."""
        lengths: dict[str, Period | None] = {}
        for key in ("at_least", "at_most"):
            lengths[key] = self.r.period(node[key], node.line_of(key), f"{field}.{key}") if key in node else None
        shortest, longest = lengths["at_least"], lengths["at_most"]
        if shortest and longest and shortest.unit == longest.unit and shortest.amount > longest.amount:
            self.r.problem(node.line_of("at_most"), f"{field}.at_most",
                           f"at_most ({longest}) is shorter than at_least ({shortest})")
        named: dict[str, tuple[str, ...]] = {}
        for key in ("outside", "extended_by"):
            names = tuple(self.r.names(node[key], node.line_of(key), f"{field}.{key}")) if key in node else ()
            for name in names:
                if name not in self.blackouts:
                    self.r.unknown("blackout", name, self.blackouts, node.line_of(key), f"{field}.{key}")
            named[key] = names
        both = set(named["outside"]) & set(named["extended_by"])
        if both:
            self.r.problem(node.line_of("extended_by"), f"{field}.extended_by",
                           f"'{sorted(both)[0]}' is both avoided (outside) and allowed to extend it (extended_by): "
                           "choose one")
        if named["extended_by"] and ".strands." in field:
            self.r.problem(node.line_of("extended_by"), f"{field}.extended_by",
                           "extended_by lengthens a stage's due date; a strand follows its stage")
        return Timing(shortest, longest, named["outside"], named["extended_by"], line, field)

    def check_events(self) -> None:
        """'<stage> entered' names a stage, '<trigger> fired' a transition of the cycle."""
        triggers = {t.trigger for t in self.transitions}
        for event, name, line, field in self.r.event_refs:
            if event == ENTERED and name not in self.stages:
                self.r.unknown("stage", name, self.stages, line, field)
            elif event == FIRED and name not in triggers:
                self.r.unknown("trigger (a transition of the cycle)", name, triggers, line, field)

    def check_milestones(self, initial: str | None, starts_in: int) -> None:
        dated = {s.id for s in self.stages.values() if s.due is not None} | set(self.meetings)
        bad = False
        for name, line, field in self.r.milestone_refs:
            if name not in dated:
                month = difflib.get_close_matches(name, list(MONTHS), n=1, cutoff=0.7)
                if month and not suggest(name, dated):
                    self.r.problem(line, field, f"cannot read '{name}' as a date — did you mean '{month[0].title()}'?")
                else:
                    kind = "milestone (a meeting, or a stage with a due date)"
                    self.r.unknown(kind, name, dated, line, field)
                bad = True
        if bad or self.r.problems:
            return
        probe = Definition(
            id="probe", title="", version=1, starts_in=starts_in, initial=initial or "", roles={}, people={},
            boards={}, meetings=self.meetings, papers={}, stages=self.stages, transitions=tuple(self.transitions),
            lifecycles={}, reminders={}, documents={}, permissions={}, blackouts=self.blackouts,
        )
        timeline = Timeline(probe, 2000)
        for name in sorted(dated):
            try:
                timeline.milestone(name)
            except MilestoneLoop as exc:
                # Report a milestone in the loop, not one that merely depends on it.
                first = next((n for n in exc.names if ":" not in n), exc.names[0])
                self.r.problem(self._lines.get(first), f"{'meetings' if first in self.meetings else 'stages'}.{first}",
                               str(exc))
                return
            except (ValueError, OverflowError) as exc:
                self.r.problem(self._lines.get(name), f"{'meetings' if name in self.meetings else 'stages'}.{name}",
                               str(exc))
                return
