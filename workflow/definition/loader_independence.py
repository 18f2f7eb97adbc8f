"""Independence: a board's `independent_of:` and a stage's `panel:`, chosen for each cycle from the directory.

A board that is independent of another may share no member with it; the loader names the people it shares. A
panel's members are chosen for each cycle (`cycle panel choose`), so the engine checks its independence then
(`workflow.definition.independence`); here, that the boards and panels it names exist and that somebody can sit
on it at all.
"""

from __future__ import annotations

from dataclasses import replace

from workflow.definition.independence import names_of
from workflow.definition.loader_base import BuilderBase
from workflow.definition.model import PANEL_COMMAND, Panel, PanelGate
from workflow.definition.yamlfile import YMap


def read_independent_of(builder: BuilderBase, node: YMap, field: str) -> tuple[str, ...]:
    """`independent_of:` on a board or a panel: the boards or panels it may share no member with."""
    if "independent_of" not in node:
        return ()
    return tuple(builder.r.names(node["independent_of"], node.line_of("independent_of"), f"{field}.independent_of"))


def read_panel(builder: BuilderBase, stage: str, node: YMap, field: str) -> Panel | None:
    """A stage's `panel:` with its id, name, the roles it is chosen from and what it is independent of."""
    if "panel" not in node:
        return None
    field = f"{field}.panel"
    pnode = builder.r.mapping(node["panel"], node.line_of("panel"), field)
    if pnode is None:
        return None
    builder.r.keys(pnode, ("id", "name", "choose_from", "independent_of"), field)
    ident = builder.r.get(pnode, "id", field, str)
    if ident is not None and not builder.r.identifier(ident, pnode.line_of("id"), f"{field}.id"):
        ident = None
    name = builder.r.get(pnode, "name", field, str, required=False, default="")
    if "choose_from" not in pnode:
        builder.r.problem(pnode.line, f"{field}.choose_from", "missing required field 'choose_from': the roles "
                          "whose holders in the directory may be chosen")
    roles = builder.role_refs(pnode.get("choose_from", []), pnode.line_of("choose_from"), f"{field}.choose_from",
                              allow_system=False)
    if "independent_of" in pnode:
        builder._lines[f"{field}.independent_of"] = pnode.line_of("independent_of")
    if ident is None:
        return None
    return Panel(ident, name or ident.replace("_", " ").capitalize(), stage, roles,
                 read_independent_of(builder, pnode, field), pnode.line)


def check_independence(builder: BuilderBase) -> None:
    """Names in `independent_of` are boards or panels; two boards declared independent share nobody; a panel can
    be chosen (someone holds its roles and sits on none of the boards it is independent of) and somebody may
    choose it."""
    panels = {s.panel.id: (sid, s.panel) for sid, s in builder.stages.items() if s.panel is not None}
    known = [*builder.boards, *panels]
    for pid, (sid, panel) in panels.items():
        if builder.stages[sid].final:
            builder.r.problem(panel.line, f"stages.{sid}.panel", "a panel is chosen while the cycle is at its stage, "
                              "and a final stage ends the cycle: give the panel to a stage before it")
        if pid in builder.boards:
            builder.r.problem(panel.line, f"stages.{sid}.panel.id", f"'{pid}' is the id of a board already: "
                              "a panel needs an id of its own")
    seen: set[str] = set()
    for pid, (sid, panel) in panels.items():
        if pid in seen:
            builder.r.problem(panel.line, f"stages.{sid}.panel.id", f"two stages choose a panel '{pid}': give each "
                              "its own id")
        seen.add(pid)
    for bid, board in builder.boards.items():
        field = f"boards.{bid}.independent_of"
        for other in board.independent_of:
            if other not in known:
                builder.r.unknown("board or panel", other, known, builder._lines[field], field)
            elif other == bid:
                builder.r.problem(builder._lines.get(field), field, "a board cannot be independent of itself")
            elif other in builder.boards:
                shared = [p for p, _ in board.members if p in dict(builder.boards[other].members)]
                if shared:
                    builder.r.problem(builder._lines.get(field), field,
                                      f"the {board.name} must share no member with the {builder.boards[other].name}, "
                                      f"but both have {names_of(builder.people, shared)}")
    for pid, (sid, panel) in panels.items():
        field = f"stages.{sid}.panel.independent_of"
        excluded: set[str] = set()
        for other in panel.independent_of:
            if other not in known:
                builder.r.unknown("board or panel", other, known, builder._lines[field], field)
            elif other == pid:
                builder.r.problem(builder._lines[field], field, "a panel cannot be independent of itself")
            elif other in builder.boards:
                excluded |= {p for p, _ in builder.boards[other].members}
        eligible = [p for p in builder.people.values() if set(p.roles) & set(panel.choose_from)]
        if panel.choose_from and not [p for p in eligible if p.id not in excluded]:
            builder.r.problem(panel.line, f"stages.{sid}.panel.choose_from", f"nobody can sit on the {panel.name}: "
                              "no one in the directory holds one of its roles "
                              f"{'and sits on none of the boards it is independent of' if eligible else ''}".strip())
    if panels and not builder.permissions.get(PANEL_COMMAND):
        builder.r.problem(builder.root.line_of("permissions") if "permissions" in builder.root else builder.root.line,
                          f"permissions.{PANEL_COMMAND}", f"missing required field '{PANEL_COMMAND}': which roles "
                          "choose the members of a panel?")


def add_panel_gates(builder: BuilderBase) -> None:
    """Every transition leaving a stage with a panel waits for the panel to be chosen: the engine's gate."""
    for i, t in enumerate(builder.transitions):
        extra = tuple(PanelGate(panel.id) for source in t.sources
                      if source in builder.stages and (panel := builder.stages[source].panel) is not None)
        if extra:
            builder.transitions[i] = replace(t, gates=(*t.gates, *extra))
