"""How a layer's output shape follows from its input: a window rule per spatial axis
(convolution, pooling), the flatten product; anything else is stated, not derived."""
from __future__ import annotations

from typing import Any, Optional, cast

import sympy

from ..layers._spatial import Edged, Windowed
from ..layers.base import Layer, Shape
from ..model import Node
from ..shapes import Window
from ..symbols import product, same_value, to_expr
from .steps import AxisStep, ShapeStep

_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}

# Roles whose output has the input's shape by what the layer does (element by element, a
# normalization, a residual block); for any other layer an equal shape is a coincidence of its
# sizes (a Dense from d to d units), and the shape is stated, not called unchanged.
KEEPS_SHAPE = frozenset({
    "activation", "dropout", "batchnorm", "norm", "instance_norm", "local_response_norm",
    "identity", "regularization", "masking", "scale", "standardize", "rescaling", "unit_norm",
    "transformer_block", "transformer_stack", "transformer", "augmentation"})


def shape_step(node: Node) -> ShapeStep:
    inp = node.input_shapes[0] if len(node.input_shapes) == 1 else ()
    out = node.output_shape
    if len(node.input_shapes) != 1:
        return ShapeStep("other", inp, out)
    step = _derived(node.layer, inp, out)
    if step is not None:
        return step
    layer = node.layer
    sequences = _returns_sequences(layer)
    if layer.role == "bidirectional":
        mode = getattr(layer, "merge_mode", None)
        if mode == "concat":  # factors: the two directions' widths, side by side in the last axis
            wrapper = cast(Any, layer)  # a Bidirectional: its forward and backward layers
            widths = (wrapper.layer.output_shape(inp)[-1], wrapper.backward.output_shape(inp)[-1])
            return ShapeStep("bidirectional", inp, out, sequences=sequences, factors=widths)
        if mode:
            return ShapeStep("bidirectional_merged", inp, out, sequences=sequences, merge=mode)
    if sequences is not None and layer.role == "recurrent":
        return ShapeStep("recurrent", inp, out, sequences=sequences)
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    if layer.role == "global_pool" and _pooled_away(first, inp, out):
        return ShapeStep("global_pool", inp, out, factors=tuple(inp[1:] if first else inp[:-1]),
                         spatial=len(inp) - 1)
    if layer.role == "reshape" and _rearranged(inp, out):
        return ShapeStep("reshape", inp, out, in_order=layer.output_is_view)
    if getattr(layer, "looks_up", False) and len(out) == len(inp) + 1 and _equal(inp, out[:-1]):
        kind = _indexes(node)
        return ShapeStep("lookup", inp, out, indexes=kind, first=first_position(layer) if kind == "positions" else 0)
    if _equal(inp, out) and node.layer.role in KEEPS_SHAPE:
        return ShapeStep("same", inp, out)
    return ShapeStep("other", inp, out)


def _pooled_away(first: bool, inp: Shape, out: Shape) -> bool:
    """A global pooling without keepdims: the spatial axes gone, the channels (the input's last
    axis, or its first with channels_first: ``first``) all that remains."""
    channels = inp[0] if first else inp[-1] if inp else None
    return 2 <= len(inp) <= 4 and len(out) == 1 and isinstance(channels, int) and out[0] == channels \
        and all(isinstance(x, int) for x in inp)


def _rearranged(inp: Shape, out: Shape) -> bool:
    """Known sizes, the same number of values, another shape."""
    sizes = tuple(inp) + tuple(out)
    if not inp or not out or not all(isinstance(x, int) for x in sizes):
        return False
    return product_of(inp) == product_of(out) and tuple(inp) != tuple(out)


def product_of(shape: Shape) -> int:
    n = 1
    for x in shape:
        n *= x  # type: ignore[operator]
    return n


def _returns_sequences(layer: Layer) -> Optional[bool]:
    """``return_sequences`` of a recurrent layer (of the layer a bidirectional one wraps)."""
    inner = layer.wrapped() if layer.role == "bidirectional" else layer
    value = getattr(inner, "return_sequences", None) if inner is not None else None
    return value if isinstance(value, bool) else None


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
    # proves the polynomial cases
    if x.has(sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Mod):
        return False
    return same_value(x, y) is True  # a bounded expansion


def _derived(layer: Layer, inp: Shape, out: Shape) -> Optional[ShapeStep]:
    if layer.role == "flatten":
        if any(d is None for d in inp) or len(out) != 1:
            return None
        if not _same(product(inp), out[0]):
            return None
        return ShapeStep("flatten", inp, out, factors=tuple(inp))
    if isinstance(layer, Edged):
        return _edges(layer, inp, out)
    if not isinstance(layer, Windowed):
        return None
    windows = layer.windows(inp)
    if not windows or any(n is None for n, _ in windows):
        return None
    windows = _alike(windows)
    names = _AXES.get(len(windows), tuple(f"axis {i + 1}" for i in range(len(windows))))
    axes = [AxisStep(names[i], n, w, w.length(n)) for i, (n, w) in enumerate(windows)]
    if len(axes) > 1 and len({(a.n, a.window) for a in axes}) == 1:
        axes = [AxisStep("all", axes[0].n, axes[0].window, axes[0].result)]
    mode = getattr(layer, "padding", None)
    return ShapeStep("spatial", inp, out, axes=tuple(axes), spatial=len(windows),
                     padding=mode if mode in ("valid", "same", "causal") else None,
                     default_stride=layer.default_stride(), stride_argument=layer.stride_argument())


def _edges(layer: Edged, inp: Shape, out: Shape) -> Optional[ShapeStep]:
    """n + a + b (padding) or n − a − b (cropping) per spatial axis; one ``all`` line where every
    axis has the same numbers."""
    edges = layer.edges(inp)
    if not edges or any(n is None for n, _, _ in edges):
        return None
    names = _AXES.get(len(edges), tuple(f"axis {i + 1}" for i in range(len(edges))))
    rows = [(names[i], n, a, b, to_expr(n) + layer.edge_sign * (a + b)) for i, (n, a, b) in enumerate(edges)]
    if len(rows) > 1 and len({r[1:4] for r in rows}) == 1:
        rows = [("all",) + rows[0][1:]]
    rows = [(name, n, a, b, int(r) if getattr(r, "is_Integer", False) else r) for name, n, a, b, r in rows]
    return ShapeStep("edges", inp, out, spatial=len(edges), edges=tuple(rows),
                     edge_sign=layer.edge_sign, edge_argument=layer.edge_argument())


def _alike(windows: tuple) -> tuple:
    """Where some axes pad asymmetrically and others symmetrically, all in the p_1 + p_2 form
    (one rule for the layer)."""
    kinds = {w.kind for _, w in windows}
    if kinds != {"floor", "floor_asym"}:
        return windows
    return tuple((n, Window("floor_asym", w.k, w.s, w.d, w.pad, w.output_padding, w.padded))
                 for n, w in windows)


def tidy_floors(e):
    """``e`` with nested roundings merged, as a reader writes them: ⌊⌊x/a⌋/b⌋ = ⌊x/(ab)⌋ and
    ⌈⌈x/a⌉/b⌉ = ⌈x/(ab)⌉ for positive integers a, b; ⌊x + c⌋ = ⌊x⌋ + c for an integer c.
    Identities for every real x: the value never changes, so ⌊⌊⌊H/2⌋/2⌋/2⌋ is shown as ⌊H/8⌋."""
    if not isinstance(e, sympy.Basic) or not e.has(sympy.floor, sympy.ceiling):
        return e
    args = [tidy_floors(a) for a in e.args]
    if isinstance(e, (sympy.floor, sympy.ceiling)):
        kind, a = type(e), args[0]
        shift, rest = a.as_coeff_Add()
        if shift.is_Integer and shift != 0:
            return tidy_floors(kind(rest)) + shift
        coeff, inner = a.as_coeff_Mul()
        if isinstance(inner, kind) and coeff.is_Rational and coeff.p == 1 and coeff.q > 1:
            return tidy_floors(kind(inner.args[0] / coeff.q))
        return kind(a)
    return e.func(*args)


LOOKUP_INDEXES = frozenset({"positions", "type_vocabulary", "buckets"})
"""Tables whose rows are not the input's tokens: a position embedding (its size T, the number
of positions), a token-type embedding (V_type), a relative-position bias (N_b buckets; B is the batch)."""

OWN_AXES = {"buckets": 2}
"""Lookups whose output has this many axes of its own before the table's width, of unfixed size,
and no batch axis: T5's relative-position bias, (query positions, key positions, heads)."""


def first_position(layer: Layer) -> int:
    """The first position a table of positions looks up: ``padding_idx + 1`` where the table has a
    padding row (RoBERTa's, numbered as fairseq does), else 0."""
    pad = getattr(layer, "padding_idx", None)
    return pad + 1 if isinstance(pad, int) and not isinstance(pad, bool) else 0


def _indexes(node: Node) -> Optional[str]:
    """What the rows of an embedding's table stand for, by the meaning of the symbol its size is
    declared as (notation.MEANINGS): the indices a position embedding looks up are positions."""
    from ..notation import MEANINGS
    rows = next((v for s, v in node.values.items() if s.name == "V"), None)  # the table's rows
    if isinstance(rows, sympy.Symbol) and MEANINGS.get(rows.name) in LOOKUP_INDEXES:
        return MEANINGS[rows.name]
    return None
