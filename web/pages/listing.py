"""A definition's YAML as a numbered listing with each loader problem under its line, as an admin mends it."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.errors import Problem

from .words import sentence

CONTEXT = 4
"""Lines shown either side of a line with a problem; the sound stretches between fold into one row."""


@dataclass(frozen=True)
class Placed:
    anchor: str  # the id the error summary links to
    problem: Problem


@dataclass
class Line:
    number: int
    text: str
    problems: list[Placed] = field(default_factory=list)
    folded: int = 0  # a row standing for this many sound lines from `number` on, not shown


def folded(lines: list[Line]) -> list[Line]:
    """The lines near a problem, and a row for each stretch of sound lines between (all lines when none has one)."""
    near = {n for line in lines if line.problems for n in range(line.number - CONTEXT, line.number + CONTEXT + 1)}
    if not near:
        return lines
    shown: list[Line] = []
    for line in lines:
        if line.number in near:
            shown.append(line)
        elif shown and shown[-1].folded:
            shown[-1].folded += 1
        else:
            shown.append(Line(line.number, "", folded=1))
    return shown


def numbered(text: str | None, problems: list[Problem]) -> tuple[list[Line], list[Placed]]:
    """Every line of `text`, numbered from 1, with its problems; and the problems that name no line in it
    (all of them when there is no text to show, as for a file that is not UTF-8)."""
    lines = [Line(n, body) for n, body in enumerate(text.splitlines(), 1)] if text is not None else []
    unplaced = []
    for i, problem in enumerate(problems, 1):
        placed = Placed(f"problem-{i}", problem)
        if problem.line is not None and 1 <= problem.line <= len(lines):
            lines[problem.line - 1].problems.append(placed)
        else:
            unplaced.append(placed)
    return folded(lines), unplaced


def summary(lines: list[Line], unplaced: list[Placed]) -> dict[str, str]:
    """The error summary: each problem once, in the file's order, linking to where it is shown."""
    found = {p.anchor: f"{p.problem.field}: {sentence(p.problem.message)}" for p in unplaced}
    for line in lines:
        for p in line.problems:
            found[p.anchor] = f"line {line.number}, {p.problem.field}: {sentence(p.problem.message)}"
    return found
