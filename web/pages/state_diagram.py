"""A definition's stages and transitions as a picture, drawn on the server by Graphviz's `dot`.

Titles come from an admin's YAML, so they are quoted for dot's own syntax here and
escaped as XML by dot when it writes the SVG; the page inlines the result.
"""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
import textwrap

from workflow.definition.gates import describe
from workflow.definition.model import Definition
from workflow.errors import CycleError

BLUE, GREEN, GREY, WHITE, BLACK = "#1d70b8", "#00703c", "#505a5f", "#ffffff", "#0b0c0c"


class DiagramUnavailable(CycleError):
    """Graphviz could not draw the diagram (not installed, or it failed)."""

    exit_code = 5


def _quoted(text: str, width: int = 28) -> str:
    """A dot string: wrapped at `width`, with dot's quotes and backslashes escaped and no raw newlines."""
    lines = textwrap.wrap(" ".join(text.split()), width) or [""]
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'


def dot_source(definition: Definition, current: str | None = None) -> str:
    lines = ["digraph cycle {", "  rankdir=TB; nodesep=0.4; ranksep=0.45;",
             '  node [shape=box, style="rounded,filled", fontname="Arial", fontsize=12, fillcolor="#f3f2f1", '
             f'color="{GREY}", margin="0.15,0.08"];',
             f'  edge [fontname="Arial", fontsize=10, color="{GREY}", fontcolor="{BLACK}"];',
             '  start [shape=circle, label="", width=0.2, style=filled, fillcolor="#0b0c0c"];']
    ids = {stage: f"s{i}" for i, stage in enumerate(definition.stages)}
    for stage in definition.stages.values():
        title = stage.title + (f" ({len(stage.strands)} strands side by side)" if stage.strands else "")
        attrs = [f"label={_quoted(title)}"]
        if stage.id == current:
            attrs += [f'fillcolor="{BLUE}"', f'fontcolor="{WHITE}"', 'penwidth=2']
        if stage.final:
            attrs += ["peripheries=2"]
        lines.append(f"  {ids[stage.id]} [{', '.join(attrs)}];")
    lines.append(f"  start -> {ids[definition.initial]};")
    for t in definition.transitions:
        label = t.title or t.trigger
        gates = [describe(g, definition) for g in t.gates]
        text = label + (" (on its date)" if t.at else "") + (": " + "; ".join(gates) if gates else "")
        style = ', style="dashed"' if t.at else ""
        for source in t.sources:
            lines.append(f"  {ids[source]} -> {ids[t.dest]} [label={_quoted(text, 34)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=64)
def _render(source: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramUnavailable("the state diagram needs Graphviz's 'dot' program, which is not installed on this "
                                 "server (Debian package 'graphviz')")
    try:
        done = subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        raise DiagramUnavailable("Graphviz took more than 20 seconds to draw the state diagram") from None
    if done.returncode != 0:
        first = done.stderr.decode(errors="replace").strip().splitlines()[:1]
        raise DiagramUnavailable(f"Graphviz could not draw the state diagram: {first[0] if first else 'no reason'}")
    return done.stdout.decode()


def state_diagram_svg(definition: Definition, current: str | None = None) -> str:
    """The diagram as an SVG element to inline in a page, named for screen readers by its title."""
    svg = _render(dot_source(definition, current))
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    name = f"State diagram of {definition.title}" + (f"; it is now at {definition.stages[current].title}"
                                                     if current in definition.stages else "")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(name)}" ', 1)
