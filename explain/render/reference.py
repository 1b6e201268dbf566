"""``explain layers``: every registered layer type and its parameter formula, in every language.

The formula comes from the type's own weight groups on an instance built with representative
arguments, so types added later appear without any edit here; a type that cannot be built with
any of the tried arguments is still listed, without a formula.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import sympy

from ..errors import ExplainError
from ..layers.base import Layer
from ..layers.registry import layer_types
from . import messages
from .documents import document
from .mathtex import MathPrinter
from .view import Formatter

# Representative values for required arguments, by name (Keras and torch.nn vocabularies).
SAMPLES: dict[str, Any] = {
    "filters": 16, "units": 8, "kernel_size": 3, "pool_size": 2, "n": 2, "target_shape": [-1],
    "dims": [1], "layer": {"Dense": {"units": 8}}, "output_dim": 8, "input_dim": 100,
    "num_heads": 2, "key_dim": 8, "in_features": 8, "out_features": 8, "in_channels": 8,
    "out_channels": 16, "num_features": 8, "normalized_shape": 8, "hidden_size": 8,
    "input_size": 8, "embed_dim": 8, "num_embeddings": 100, "embedding_dim": 8, "size": 2,
    "padding": 1, "cropping": 1, "groups": 1, "axis": -1, "shape": [8],
}
FALLBACKS: tuple[Any, ...] = (8, [8], 1, [1], "valid", {"Dense": {"units": 8}})


def instantiate(cls: type[Layer]) -> Optional[Layer]:
    """An instance of ``cls`` with representative arguments, or None."""
    try:
        return cls.from_args({})
    except ExplainError:  # the sample arguments do not fit this type
        pass
    if any(f.name == "layer" for f in dataclasses.fields(cls)):
        for inner in ({"Dense": {"units": 8}}, {"LSTM": {"units": 8}}, {"GRU": {"units": 8}}):
            try:
                return cls.from_args({"layer": inner})
            except ExplainError:  # the sample arguments do not fit this type
                continue
    fields = [f for f in dataclasses.fields(cls) if f.init]
    required = [f.name for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    args = {name: SAMPLES[name] for name in required if name in SAMPLES}
    for _ in range(3):
        try:
            return cls.from_args(args)
        except ExplainError:  # the sample arguments do not fit this type
            missing = [n for n in required if n not in args]
            if not missing:
                break
            args[missing[0]] = FALLBACKS[0]
    for name in required:
        if name in SAMPLES:
            continue
        for value in FALLBACKS[1:]:
            args[name] = value
            try:
                return cls.from_args(args)
            except ExplainError:  # the sample arguments do not fit this type
                continue
    return None


def entries(framework: Optional[str], fmt: Formatter) -> list[dict[str, Any]]:
    out = []
    math = MathPrinter(fmt.lang, plain=True) if fmt.format == "text" else fmt.math
    for cls in sorted(layer_types(framework), key=lambda c: (c.framework, c.type_name.lower())):
        layer = instantiate(cls)
        groups: list[dict[str, Any]] = []
        formula = None
        if layer is not None:
            try:
                gs = layer.weight_groups()
                params = [g for g in gs if not g.buffer]
                display = layer.display_formula()
                if display is not None:  # the type's textbook form
                    formula = math.expr(display, order="none")
                elif gs:
                    formula = math.expr(sympy.Add(*(g.formula for g in params))) if params else "0"
                groups = [{"name": g.name, "formula": math.expr(g.formula), "trainable": g.trainable,
                           "buffer": g.buffer} for g in gs]
            except ExplainError:  # the sample's weights cannot be counted without more arguments
                formula = None
        inner = layer.wrapped() if layer is not None else None
        names = [str(g["name"]) for g in groups if not g["buffer"]]
        explanation = layer.explanation_for(names) if layer is not None else cls.explanation
        out.append({
            "type": cls.type_name, "framework": cls.framework, "aliases": list(cls.aliases),
            "role": messages.role_message(explanation, bool(groups)), "kind": cls.role,
            "explanation": explanation, "formula": formula, "groups": groups,
            "built": layer is not None,
            # a wrapper's formula is its sample inner layer's: say which
            "wraps": inner.type_name if inner is not None and formula is not None else None,
        })
    return out


@document("layers", "markdown", "latex", "text")
def reference_facts(_: None, f: Formatter, framework: Optional[str] = None, **__: Any) -> dict[str, Any]:
    """Every registered type (of ``framework``, or all) with its role, formula and weight groups."""
    return {"entries": entries(framework, f)}


@document("layers", "json")
def reference_data(_: None, lang: str = "en", framework: Optional[str] = None, **__: Any) -> list[dict[str, Any]]:
    """Per type: its name, framework, aliases, role, explanation (in ``lang``) and parameter
    formula (LaTeX)."""
    from .i18n import translations
    gettext = translations(lang).gettext
    return [{"type": e["type"], "framework": e["framework"], "aliases": e["aliases"], "role": e["kind"],
             "explanation": gettext(e["role"]) % messages.plain_placeholders(lang), "formula": e["formula"]}
            for e in entries(framework, Formatter("markdown", lang))]
