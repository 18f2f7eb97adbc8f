"""A board's `agenda:` section (`workflow.definition.agenda`), read inside `boards.<id>`."""

from __future__ import annotations

from workflow.definition.agenda import (
    DEFAULT_NOTICE,
    PURPOSES,
    STANDARD_ITEMS,
    BoardAgenda,
    FixedItem,
)
from workflow.definition.loader_base import BuilderBase
from workflow.definition.reader import _describe, suggest
from workflow.definition.yamlfile import YList, YMap
from workflow.errors import quoted

LONGEST_NOTICE = 30


def read_agenda(builder: BuilderBase, board: YMap, field: str) -> BoardAgenda:
    """The board's agenda section, or the defaults when it has none; each problem names its line and field."""
    r = builder.r
    if "agenda" not in board:
        return BoardAgenda()
    field = f"{field}.agenda"
    node = r.mapping(board["agenda"], board.line_of("agenda"), field)
    if node is None:
        return BoardAgenda()
    r.keys(node, ("standard", "items", "information", "notice"), field)
    standard: tuple[str, ...] = STANDARD_ITEMS
    if "standard" in node:
        named = r.names(node["standard"], node.line_of("standard"), f"{field}.standard")
        for name in named:
            if name not in STANDARD_ITEMS:
                r.problem(node.line_of("standard"), f"{field}.standard",
                          f"unknown standard item '{name}'{suggest(name, STANDARD_ITEMS)}; expected some of "
                          f"{', '.join(STANDARD_ITEMS)}")
        if len(set(named)) != len(named):
            r.problem(node.line_of("standard"), f"{field}.standard", "a standard item is listed twice")
        standard = tuple(s for s in STANDARD_ITEMS if s in named)
    items = _items(builder, node, field)
    information: tuple[str, ...] = ()
    if "information" in node:
        line = node.line_of("information")
        information = tuple(r.names(node["information"], line, f"{field}.information"))
        builder.later("paper", information, "papers", line, f"{field}.information")
    return BoardAgenda(standard, items, information, _notice(builder, node, field))


def _items(builder: BuilderBase, node: YMap, field: str) -> tuple[FixedItem, ...]:
    r = builder.r
    if "items" not in node:
        return ()
    raw = node["items"]
    if not isinstance(raw, list):
        r.problem(node.line_of("items"), f"{field}.items", f"expected a list of items, got {_describe(raw)}")
        return ()
    found = []
    for n, entry in enumerate(raw):
        where = f"{field}.items[{n}]"
        line = raw.line_of(n) if isinstance(raw, YList) else node.line_of("items")
        item = r.mapping(entry, line, where)
        if item is None:
            continue
        r.keys(item, ("title", "purpose", "description"), where)
        title = r.get(item, "title", where, str, default="")
        purpose = r.get(item, "purpose", where, str, required=False, default="")
        if purpose and purpose not in PURPOSES:
            r.problem(item.line_of("purpose"), f"{where}.purpose",
                      f"unknown purpose {quoted(purpose)}{suggest(purpose, PURPOSES)}; expected one of {', '.join(PURPOSES)}")
        description = r.get(item, "description", where, str, required=False, default="")
        if title:
            found.append(FixedItem(" ".join(title.split()), purpose, " ".join(description.split())))
    return tuple(found)


def _notice(builder: BuilderBase, node: YMap, field: str) -> int:
    r = builder.r
    if "notice" not in node:
        return DEFAULT_NOTICE
    line = node.line_of("notice")
    period = r.period(node["notice"], line, f"{field}.notice")
    if period is None:
        return DEFAULT_NOTICE
    if period.unit != "working days" or not 1 <= period.amount <= LONGEST_NOTICE:
        r.problem(line, f"{field}.notice", f"a notice period is 1 to {LONGEST_NOTICE} clear working days, "
                  f"such as '5 working days'; '{period}' is not")
        return DEFAULT_NOTICE
    return period.amount
