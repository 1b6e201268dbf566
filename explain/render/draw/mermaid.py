"""The model's graph as a Mermaid flowchart (GitHub, GitLab, Obsidian, MkDocs Material and
Jupyter draw it): a box per layer, arrows in the data flow, a dashed arrow from the layer whose
weights another reuses, a frame "× N" around a block drawn once."""
from __future__ import annotations

import unicodedata

from .graph import Graph
from .labels import Labels, Line

_ASCII_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:()_-/+=%'[]")


def text(s: str) -> str:
    """Text inside a quoted Mermaid label: ASCII outside a small safe set, control and format
    characters and line breaks as entity codes (``#35;``), so that no name can end the label or
    become markup; letters of other scripts and no-break spaces as they are. A ``<`` stays
    ``#60;``: mermaid 11 (strict) shows a plain ``<`` or ``&lt;`` in an xychart label as the
    text "&lt;"."""
    return "".join(c if c in _ASCII_SAFE or (ord(c) > 127 and (unicodedata.category(c)[0] not in "CZ"
                                                              or unicodedata.category(c) == "Zs"))
                   else f"#{ord(c)};" for c in s)


def _label(lines: list[Line]) -> str:
    parts = []
    for line in lines:
        if line.kind == "name":
            parts.append("<b>" + text(line.text) + "</b>" + text(line.after))
        else:
            parts.append(text(line.text + line.code + line.after))
    return "<br/>".join(parts)


def flowchart(graph: Graph, labels: Labels) -> str:
    """The Mermaid source (without the fence)."""
    out = ["flowchart TB"]
    framed = {i for g in graph.groups for i in g.boxes}
    for k, g in enumerate(graph.groups):
        out.append(f'  subgraph g{k} ["{text("× " + labels.num(g.repeat))}"]')
        for i in g.boxes:
            out.append("    " + _node(graph, labels, i))
        out.append("  end")
    for b in graph.boxes:
        if b.id not in framed:
            out.append("  " + _node(graph, labels, b.id))
    for s, t in graph.edges:
        out.append(f"  {s} --> {t}")
    for s, t in graph.shared:
        out.append(f"  {s} -.- {t}")
    shared = [t for _, t in graph.shared]
    if shared:
        out.append("  classDef shared stroke-dasharray: 5 4")
        out.append("  class " + ",".join(shared) + " shared")
    return "\n".join(out) + "\n"


def _node(graph: Graph, labels: Labels, id: str) -> str:
    box = graph.box(id)
    label = _label(labels.lines(box, graph))
    if box.kind == "input":
        return f'{id}[/"{label}"/]'
    if box.kind == "fold":
        return f'{id}[["{label}"]]'
    return f'{id}["{label}"]'
