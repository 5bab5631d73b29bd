"""Exposure pictures (``linter/exposure.py``) as Mermaid or Graphviz DOT text.

Mermaid is what GitHub renders in Markdown (README, pull-request comments, job summaries);
DOT is for ``dot -Tsvg``. Text from scanned files is escaped for each: it can neither end
a label nor the code block around it.
"""

from __future__ import annotations

from collections.abc import Callable

from linter.exposure import INTERNET, ExposureGraph, Node
from linter.model import Severity

COLORS = {Severity.CRITICAL: "#b3005e", Severity.HIGH: "#d62728", Severity.MEDIUM: "#e6a100", Severity.LOW: "#1f77b4"}
FILLS = {Severity.CRITICAL: "#fbe3ee", Severity.HIGH: "#fde4e4", Severity.MEDIUM: "#fff4d6", Severity.LOW: "#e3effa"}


def _ids(picture: ExposureGraph) -> dict[str, str]:
    return {key: ("internet" if key == INTERNET else f"n{i}") for i, key in enumerate(picture.nodes)}


def label_lines(node: Node, display: Callable[[str], str]) -> list[str]:
    """What a node says: the resource, the line that decides, where it is, and the findings."""
    if node.kind == "internet":
        return ["Internet"]
    lines = [node.title] if node.kind == "resource" and node.title else []
    if node.detail:
        lines.append(node.detail)
    if node.span is not None:
        lines.append(f"{display(node.span.file)}:{node.span.line}")
    if node.severity is not None:
        lines.append(f"{node.severity}: {', '.join(node.rules)}")
    return lines


def _mermaid_text(text: str) -> str:
    # Mermaid's entity codes: nothing can close the quoted label or the ``` fence around it
    out = text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return out.replace("`", "#96;").replace("|", "#124;")


def mermaid(picture: ExposureGraph, display: Callable[[str], str] = str) -> str:
    ids = _ids(picture)
    out = ["flowchart LR"]
    for key, node in picture.nodes.items():
        label = "<br/>".join(_mermaid_text(line) for line in label_lines(node, display))
        if node.kind == "internet":
            out.append(f'  {ids[key]}(("{label}"))')
        elif node.kind == "value":
            out.append(f'  {ids[key]}[/"{label}"/]')
        else:
            out.append(f'  {ids[key]}["{label}"]')
    for edge in picture.edges.values():
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        out.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    used = sorted({n.severity for n in picture.nodes.values() if n.severity is not None}, reverse=True)
    for severity in used:
        out.append(f"  classDef {severity} fill:{FILLS[severity]},stroke:{COLORS[severity]},stroke-width:2px")
        members = ",".join(ids[k] for k, n in picture.nodes.items() if n.severity == severity)
        out.append(f"  class {members} {severity}")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def dot(picture: ExposureGraph, display: Callable[[str], str] = str) -> str:
    ids = _ids(picture)
    out = [
        "digraph exposure {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for key, node in picture.nodes.items():
        label = "\\n".join(_dot_text(line) for line in label_lines(node, display))
        attrs = [f'label="{label}"']
        if node.kind == "internet":
            attrs += ["shape=ellipse", 'fillcolor="#eeeeee"']
        elif node.kind == "value":
            attrs += ["shape=note"]
        if node.severity is not None:
            attrs += [f'color="{COLORS[node.severity]}"', f'fillcolor="{FILLS[node.severity]}"', "penwidth=2"]
        out.append(f"  {ids[key]} [{', '.join(attrs)}];")
    for edge in picture.edges.values():
        attrs = []
        if edge.label:
            attrs.append(f'label="{_dot_text(edge.label)}"')
        if edge.dashed:
            attrs.append("style=dashed")
        out.append(f"  {ids[edge.source]} -> {ids[edge.target]}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[ExposureGraph, Callable[[str], str]], str]] = {"mermaid": mermaid, "dot": dot}
