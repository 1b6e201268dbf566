"""Pictures of a model: its graph (:mod:`.graph`, data only) drawn as Mermaid, TikZ or SVG, and
where its parameters are as a bar chart; ``explain draw`` and every derivation document use them.

    pictures(model, "de", "latex")   # {"graph": "\\begin{center}…", "bars": "…"}
"""
from __future__ import annotations

from typing import Any, Optional

from ...model import Model

FORMATS = ("mermaid", "tikz", "svg")
"""What ``explain draw --format`` gives."""


def draw(model: Model, lang: str = "en", format: str = "mermaid") -> str:
    """The model's graph alone: Mermaid source, a TikZ picture, or an SVG image."""
    from ...errors import ExplainError
    from .graph import build
    from .labels import Labels
    if format not in FORMATS:
        raise ExplainError(f"unknown picture format '{format}' (choose from {', '.join(FORMATS)})")
    graph, labels = build(model), Labels(model, lang)
    if format == "mermaid":
        from .mermaid import flowchart
        return flowchart(graph, labels)
    if format == "tikz":
        from .tikz import picture
        return picture(graph, labels)
    from .svg import graph_svg
    return graph_svg(graph, labels)


def pictures(model: Model, lang: str, format: str,
             runs: Optional[list[tuple[int, int, int]]] = None) -> dict[str, Any]:
    """The pictures of a ``format`` document (``markdown``: Mermaid; ``latex``: TikZ and
    pgfplots; ``html``: SVG): ``graph``, ``bars``, whether the graph is folded, and for a model
    folded into stages its first block drawn layer by layer (``detail``, named ``block``).
    ``runs``: ``group_blocks(model.nodes)`` where the derivation has found them."""
    from . import bars as charts
    from .graph import build, detail
    from .labels import Labels
    graph, labels = build(model, runs=runs), Labels(model, lang)
    block = detail(model)
    items = charts.bars(graph, labels)
    out: dict[str, Any] = {"folded": graph.folded, "framed": bool(graph.groups),
                           "shared": bool(graph.shared), "bar_count": len(items),
                           "bar_blocks": any(b.block for b in items),
                           "bare": charts.bare(graph, labels),
                           "repeats": any(b.kind == "layer" and b.repeat != 1 for b in graph.boxes),
                           "fold_repeats": any(b.kind == "fold" and b.repeat != 1 for b in graph.boxes),
                           "steps": any(labels.is_step(b) for b in graph.boxes + (block.boxes if block else []))}
    # an input the model's notes name but no box draws (BERT's attention_mask: it has no weights)
    out["mask"] = next((v for _, args in model.notes for _, v in args
                        if v == "attention_mask" and v not in model.inputs), None)
    out["block"] = block.name if block else None
    out["merges"] = block is not None and len({t for _, t in block.edges}) < len(block.edges)
    if format == "markdown":
        from .mermaid import flowchart
        out.update(graph=flowchart(graph, labels), bars=charts.xychart(items, labels),
                   detail=flowchart(block, labels) if block else None)
    elif format == "latex":
        from .layout import GAP, layout
        from .tikz import READABLE, placed
        # the graph bare: the template boxes it and may shrink it into the room left on the page,
        # down to box text of 7pt (footnotesize, 8pt, at READABLE / scale of the size drawn); where
        # even that does not fit under its sentences, it stands at the top of the next page
        # (the bar chart's labels are footnotesize too, drawn at full size: 0.75 at least)
        tex, scale, height, sized = placed(graph, labels, center=False)
        detail_tex, _, detail_height, _ = placed(block, labels, rows=DETAIL_ROWS) if block else (None, 1.0, 0.0, False)
        out.update(graph=tex, graph_min=min(1.0, READABLE / scale),
                   bars=charts.pgfplots(items, labels, center=False), bars_min=0.75, detail=detail_tex)
        out.update(graph_alt=None, graph_alt_read=1.0)
        at = layout(graph)
        if not sized and at.width < 1 + GAP and at.height >= ALT_ROWS:
            # one long column: the same in two columns, which the page takes instead where only it
            # fits at 7pt (ja LeNet-5: 5.4pt in one column under the introduction)
            alt, alt_scale, _, _ = placed(graph, labels, rows=-(-int(at.height) // 2), center=False)
            out.update(graph_alt=alt, graph_alt_read=min(1.0, READABLE / alt_scale))
        # cm each picture takes on the page: its heading and sentences go with it to a new page
        out.update(graph_height=height, bars_height=charts.height(items) + 1.2, detail_height=detail_height)
    else:
        from .svg import bars_svg, graph_svg
        out.update(graph=graph_svg(graph, labels), bars=bars_svg(items, labels),
                   detail=graph_svg(block, labels, rows=DETAIL_ROWS, block=True) if block else None)
    return out


ALT_ROWS = 8
"""A diagram of one column this many rows long or longer is also drawn in two columns for the page."""

DETAIL_ROWS = 14
"""A block drawn layer by layer stays in one column up to this many rows."""
