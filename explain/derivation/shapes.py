"""How a layer's output shape follows from its input: convolution and pooling lengths per axis,
the flatten product; anything else is stated, not derived.

Each derived length is checked against the model's own shape; on any disagreement (a layer type
this module does not know well) the step falls back to stating the shape.
"""
from __future__ import annotations

from typing import Any, Optional

import sympy

from ..layers._spatial import Spatial
from ..layers.base import Layer, Shape
from ..model import Node
from ..symbols import Value, as_value, cdiv, fdiv, product, to_expr
from .steps import AxisStep, ShapeStep

_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def shape_step(node: Node) -> ShapeStep:
    inp = node.input_shapes[0] if len(node.input_shapes) == 1 else ()
    out = node.output_shape
    if len(node.input_shapes) != 1:
        return ShapeStep("other", inp, out)
    try:
        step = _derived(node.layer, inp, out)
    except Exception:  # a layer type with other conventions: state the shape instead
        step = None
    if step is not None:
        return step
    if _equal(inp, out):
        return ShapeStep("same", inp, out)
    return ShapeStep("other", inp, out)


def _equal(a: Shape, b: Shape) -> bool:
    return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))


def _same(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    x, y = to_expr(x), to_expr(y)
    if x == y:  # the usual case: both built by the same shape functions
        return True
    # never simplify(): on nested floors (a deep symbolic CNN) it takes minutes; an expansion
    # proves the polynomial cases, and anything else falls back to stating the shape
    if x.has(sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Mod):
        return False
    return sympy.expand(x - y) == 0


def _derived(layer: Layer, inp: Shape, out: Shape) -> Optional[ShapeStep]:
    if layer.role == "flatten":
        if any(d is None for d in inp) or len(out) != 1:
            return None
        if not _same(product(inp), out[0]):
            return None
        return ShapeStep("flatten", inp, out, factors=tuple(inp))
    if layer.window is None or not isinstance(layer, Spatial):
        return None
    spatial, _ = layer.split(inp)
    out_spatial, _ = layer.split(out)
    if len(spatial) != len(out_spatial) or not spatial:
        return None
    axes = []
    names = _AXES.get(len(spatial), tuple(f"axis {i + 1}" for i in range(len(spatial))))
    for i, n in enumerate(spatial):
        axis = _axis(layer, i, n)
        if axis is None or n is None or not _same(axis[-1], out_spatial[i]):
            return None
        kind, k, s, d, pad, result = axis
        axes.append(AxisStep(kind, names[i], n, k, s, d, pad, as_value(out_spatial[i])))
    if len({(a.kind, a.n, a.k, a.s, a.d, a.pad) for a in axes}) == 1 and len(axes) > 1:
        a = axes[0]
        axes = [AxisStep(a.kind, "all", a.n, a.k, a.s, a.d, a.pad, a.result)]
    return ShapeStep("spatial", inp, out, axes=tuple(axes))


def _axis(layer: Any, i: int, n: Value):
    """(kind, k, s, d, (pad before, pad after), result) for axis i, or None if not a window layer."""
    padding = getattr(layer, "padding", None)
    if not isinstance(padding, str):
        return None
    if layer.window == "pool":
        k = layer.pool_size[i]
        s = (layer.strides or layer.pool_size)[i]
        if padding == "valid":
            return "pool", k, s, 1, (0, 0), as_value(fdiv(n - k, s) + 1)
        if padding == "same":
            return "pool_same", k, s, 1, (0, 0), cdiv(n, s)
        return None
    k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i]
    k_eff = as_value(d * (k - 1) + 1)
    if layer.window == "transpose":
        if getattr(layer, "output_padding", None):
            return None
        if padding == "same":
            return "transpose_same", k, s, d, (0, 0), as_value(n * s)
        if padding == "valid" and isinstance(k_eff, int) and isinstance(s, int):
            return "transpose", k, s, d, (0, 0), as_value(n * s + max(k_eff - s, 0))
        return None
    if padding == "valid":
        return "conv", k, s, d, (0, 0), as_value(fdiv(n - k_eff, s) + 1)
    if padding == "causal":
        return "conv", k, s, d, (k_eff - 1, 0), as_value(fdiv(n - 1, s) + 1)
    if padding == "same":
        result = cdiv(n, s)
        total = (result - 1) * s + k_eff - n if isinstance(n, int) else None
        if not isinstance(total, int) or not isinstance(k_eff, int):
            return "conv_same", k, s, d, (0, 0), result
        total = max(total, 0)
        before = total // 2
        return "conv", k, s, d, (before, total - before), as_value(fdiv(n + total - k_eff, s) + 1)
    return None
