"""One layer's derivation steps on their own, in a format and language (for feedback sheets).

``render_layer_step(model.node("dense_2"), model, lang="de", format="latex")`` gives the same
section as in the model's derivation: what the layer does, its formula with each symbol's meaning
and value, the substitution and result, the weight groups, notes and the output-shape step.
"""
from __future__ import annotations

from typing import Union

from ..derivation import LayerStep, layer_step
from ..errors import ExplainError
from ..model import Model, Node


def render_layer_step(step: Union[Node, LayerStep], model: Model | None = None, lang: str = "en",
                      format: str = "markdown", index: int | None = None, level: int = 3) -> str:
    """The derivation of one layer (a :class:`Node` of ``model`` or a :class:`LayerStep`).

    ``index`` is the number in the heading (default: the layer's position in ``model``);
    ``level`` the heading level (Markdown: that many ``#``; LaTeX: 1 section, 2 subsection, 3 subsubsection).
    """
    if isinstance(step, Node):
        step = (layer_step(step, model.symbol_meanings) if model is not None
                else layer_step(step))
    if index is None:
        index = next((i + 1 for i, n in enumerate(model.nodes) if n.name == step.node.name), 1) \
            if model is not None else 1
    if format == "markdown":
        from .markdown import render_markdown_step
        return render_markdown_step(step, model, lang, index, level)
    if format == "latex":
        from .latex import render_latex_step
        return render_latex_step(step, model, lang, index, level)
    raise ExplainError(f"a layer's derivation is available as markdown or latex, not '{format}'")
