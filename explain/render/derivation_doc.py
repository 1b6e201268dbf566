"""The documents about a model: its whole derivation (``derivation``) and one layer's steps
(``layer``, for feedback sheets), as facts for the templates (see :mod:`.documents`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from ..model import Model, Node
from .documents import DETAILS, document

if TYPE_CHECKING:  # the derivation and the view are imported only for the formats that need them
    from ..derivation import LayerStep
    from .view import Formatter


@document("derivation", "markdown", "latex")
def derivation_facts(model: Model, f: "Formatter", expand: bool = False,
                     count: tuple[str, ...] = ("params",), detail: str = "compact",
                     pictures: bool = True, **_: Any) -> dict[str, Any]:
    """The derivation, layer by layer, with the total and the memory; with ``memory`` in
    ``count``, the training memory (``training``); with ``pictures``, the model drawn and where
    its parameters are (:mod:`.draw`)."""
    from ..derivation import derive
    from .view import model_context
    derivation = derive(model, expand=expand)
    facts = model_context(derivation, f, detail=detail, lengths="compute" in count or "memory" in count)
    facts["pictures"] = None
    if pictures:
        from .draw import pictures as draw_pictures
        facts["pictures"] = draw_pictures(model, f.lang, f.format, runs=derivation.runs)
    if "compute" in count:
        from .compute_view import compute_context
        facts["compute"] = compute_context(model, f, detail)
        facts["model_symbols"] = _with_renamed(facts["all_model_symbols"], model, f)  # the compute formulas use them all
    if "memory" in count:
        from .memory_view import memory_context
        facts["training"] = memory_context(model, f)
    return facts


def _with_renamed(rows: list[tuple[str, str]], model: Model, f: "Formatter") -> list[tuple[str, str]]:
    """The model's symbol list with each compute symbol that stands for one of them (``H_kv = H =
    32``) right after that symbol's row."""
    from .compute_view import renamed_symbol_rows
    out = list(rows)
    for after, label, meaning in renamed_symbol_rows(model, f):
        labels = [label for label, _ in out]
        out.insert(labels.index(after) + 1 if after in labels else len(out), (label, meaning))
    return out


@document("derivation", "text")
def summary_facts(model: Model, f: "Formatter", count: tuple[str, ...] = ("params",),
                  **_: Any) -> dict[str, Any]:
    """The summary table that Keras's ``model.summary()`` prints (with ``compute`` in ``count``,
    a MACs column and the totals)."""
    from .text import summary
    return summary(model, f, compute="compute" in count)


@document("derivation", "json")
def derivation_data(model: Model, count: tuple[str, ...] = ("params",), detail: str = "compact",
                    **_: Any) -> dict[str, Any]:
    """SPEC.md section 4: exact ints, formulas as sympy-parsable strings (section 7: the compute
    fields with ``compute`` in ``count``; the training memory, ``training_memory``, with ``memory``)."""
    from .json_out import model_dict
    if detail not in DETAILS:
        from ..errors import ExplainError
        raise ExplainError(f"unknown detail '{detail}' (choose from {', '.join(DETAILS)})")
    out = model_dict(model, compute="compute" in count)
    if "memory" in count:
        from .json_out import memory_dict
        out["training_memory"] = memory_dict(model)
    return out


@document("layer", "markdown", "latex")
def layer_facts(step: Union[Node, "LayerStep"], f: "Formatter", model: Optional[Model] = None,
                index: Optional[int] = None, level: int = 3, **_: Any) -> dict[str, Any]:
    """One layer's derivation steps (a :class:`Node` of ``model`` or a :class:`LayerStep`), as in
    the model's derivation. ``index`` is the number in the heading (default: the layer's position
    in ``model``); ``level`` the heading level (Markdown: that many ``#``; LaTeX: 1 section,
    2 subsection, 3 subsubsection)."""
    from ..derivation import layer_step
    from .view import View
    if isinstance(step, Node):
        step = layer_step(step, model.symbol_meanings) if model is not None else layer_step(step)
    if index is None:
        positions = {n.name: i + 1 for i, n in enumerate(model.nodes)} if model is not None else {}
        index = positions.get(step.node.name, 1)
    return {"step": View(f, model).step(step, index), "level": level}
