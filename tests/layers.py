"""The layers of the code, read from its imports; `python -m tests.layers --write` redraws docs/architecture.md.

A unit is a workflow subpackage (`workflow.store`), a top-level workflow module
(`workflow.engine`) or an outer package (`notifications`, `tasks`, `web`). `LAYERS` lists them
lowest first: a unit may import itself and the units before it, never one after it.
`tests/test_architecture.py` checks that, that no module imports another that imports it back
(directly or round a loop), and that the drawing in docs/architecture.md is the current one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("workflow", "notifications", "tasks", "web")

LAYERS: list[tuple[str, str]] = [
    ("workflow.errors", "the errors every layer raises, each with the sentence a person reads"),
    ("workflow.definition", "the definition format and its pure rules: no database, no clock"),
    ("workflow.store", "tables, migrations, the outbox, paper files, the unit of work"),
    ("workflow.time", "the clock, and the dates and deadline rows of a running cycle"),
    ("workflow.commands", "one module per command: start, fire, decide, attach, meetings, migrate, sweep"),
    ("workflow.reads", "status, history, papers a person may see, my work, health"),
    ("workflow.engine", "the facade the adapters call: one method per command and read"),
    ("workflow.datadir", "the private data folder"),
    ("workflow.settings", "settings from the environment"),
    ("workflow.app", "assembly: database, clock, catalog and engine from the settings"),
    ("workflow.player", "the demo player: a cycle year played through the engine"),
    ("workflow.cli", "the core's `cycle` commands, one module per group"),
    ("notifications", "who is told what: reminders, mail, documents; their `cycle` commands"),
    ("tasks", "the Celery app, workers, scheduler, metrics; their `cycle` commands"),
    ("web", "the REST API and the pages, both over the engine and `web.records`"),
]
ORDER = {unit: i for i, (unit, _) in enumerate(LAYERS)}


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of the product, by dotted name (migration scripts excluded: Alembic loads them)."""
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).with_suffix("")
            if "migrations" in relative.parts and relative.name != "env":
                continue
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imports(name: str, path: Path) -> set[str]:
    """The product modules `name` imports, anywhere in it (function bodies and TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return {f for f in found if f.split(".")[0] in PACKAGES}


def graph() -> dict[str, set[str]]:
    """Module -> the product modules it imports (names that are not modules, e.g. classes, dropped)."""
    found = dict(modules())
    edges: dict[str, set[str]] = {}
    for name, path in found.items():
        targets = set()
        for target in imports(name, path):
            while target and target not in found:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                targets.add(target)
        edges[name] = targets
    return edges


def unit_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "workflow":
        return parts[0]
    return ".".join(parts[:2]) if len(parts) > 1 else "workflow"


def unit_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {unit: set() for unit, _ in LAYERS}
    for module, targets in graph().items():
        for target in targets:
            a, b = unit_of(module), unit_of(target)
            if a != b:
                edges.setdefault(a, set()).add(b)
    return edges


def cycles() -> list[list[str]]:
    """Import loops between modules, each as the path round it (empty: none)."""
    edges = graph()
    loops: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                loops.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return loops


def upward() -> list[str]:
    """Imports from a unit to one above it in `LAYERS` (or to a unit `LAYERS` does not name)."""
    wrong = []
    for module, targets in sorted(graph().items()):
        for target in sorted(targets):
            a, b = unit_of(module), unit_of(target)
            if a != b and (a not in ORDER or b not in ORDER or ORDER[b] > ORDER[a]):
                wrong.append(f"{module} imports {target}")
    return wrong


def mermaid() -> str:
    """The units and the imports between them, highest layer first; an edge a unit reaches anyway through
    another is left out, so the drawing shows the layers rather than every line."""
    edges = unit_edges()

    def reach(start: str, skip: str) -> set[str]:
        seen: set[str] = set()
        todo = [n for n in edges.get(start, ()) if n != skip]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        return seen

    ids = {unit: unit.replace(".", "_") for unit, _ in LAYERS}
    lines = ["flowchart TD"]
    for unit, _ in reversed(LAYERS):
        lines.append(f'    {ids[unit]}["{unit}"]')
    for unit, _ in reversed(LAYERS):
        for target in sorted(edges.get(unit, ()), key=lambda t: -ORDER.get(t, -1)):
            if target not in reach(unit, target):
                lines.append(f"    {ids[unit]} --> {ids[target]}")
    return "\n".join(lines) + "\n"


DOC = REPO / "docs" / "architecture.md"
BEGIN = "<!-- generated by `python -m tests.layers --write`: do not edit by hand -->\n```mermaid\n"
END = "```\n<!-- end of generated drawing -->"


def drawn() -> str:
    """The drawing as docs/architecture.md has it."""
    text = DOC.read_text()
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)]


def write() -> None:
    text = DOC.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + mermaid() + text[end:])


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print(mermaid(), end="")
        for loop in cycles():
            print("cycle:", " -> ".join(loop))
        for line in upward():
            print("upward:", line)
