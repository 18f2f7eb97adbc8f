"""A Mermaid state diagram of a definition, for admins to read and paste into docs."""

from __future__ import annotations

from workflow.definition.case_fields import FieldGate, describe_gate
from workflow.definition.model import (
    DecisionGate,
    Definition,
    MinimumLengthGate,
    NotBeforeGate,
    PanelGate,
    PapersGate,
    StrandsGate,
)


def _label(text: str) -> str:
    # Mermaid treats these as syntax inside a label.
    return text.replace(":", " -").replace(";", ",").replace('"', "'").replace("\n", " ")


def mermaid(definition: Definition) -> str:
    lines = ["stateDiagram-v2", f"    %% {definition.title} ({definition.id} v{definition.version})"]
    for stage in definition.stages.values():
        lines.append(f'    state "{_label(stage.title)}" as {stage.id}')
    lines.append(f"    [*] --> {definition.initial}")
    for t in definition.transitions:
        gates = []
        for gate in t.gates:
            match gate:
                case DecisionGate(board, item, _):
                    does = {"carried": "carries", "not_carried": "does not carry", "deferred": "defers"}[gate.wanted]
                    gates.append(f"{definition.boards[board].name} {does} {item}")
                case PapersGate(papers):
                    gates.append("papers " + ", ".join(papers))
                case NotBeforeGate(_):
                    gates.append("not before date")
                case StrandsGate(_):
                    gates.append("all strands complete")
                case MinimumLengthGate(_, period, _):
                    gates.append(f"runs at least {period}")
                case PanelGate(panel):
                    gates.append(f"{panel} chosen")
                case FieldGate():
                    gates.append(describe_gate(gate, definition.fields))
        when = " (timed)" if t.at else ""
        guard = f" [{', '.join(gates)}]" if gates else ""
        for source in t.sources:
            lines.append(f"    {source} --> {t.dest}: {_label(t.trigger + when + guard)}")
    for stage in definition.stages.values():
        if stage.final:
            lines.append(f"    {stage.id} --> [*]")
        if not stage.strands:
            continue
        # Strands run side by side: one concurrent region each, their states prefixed to stay unique.
        lines.append(f"    state {stage.id} {{")
        for i, strand in enumerate(stage.strands):
            if i:
                lines.append("        --")
            lifecycle = definition.lifecycles[strand.lifecycle]
            prefix = f"{strand.id}__"
            lines.append(f'        state "{_label(strand.title)}" as {strand.id} {{')
            for state in lifecycle.states:
                lines.append(f'            state "{state}" as {prefix}{state}')
            lines.append(f"            [*] --> {prefix}{lifecycle.initial}")
            for t in lifecycle.transitions:
                for source in t.sources:
                    lines.append(f"            {prefix}{source} --> {prefix}{t.dest}: {t.trigger}")
            for final in lifecycle.finals:
                lines.append(f"            {prefix}{final} --> [*]")
            lines.append("        }")
        lines.append("    }")
    return "\n".join(lines) + "\n"
