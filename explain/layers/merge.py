"""Merge layers: combine several inputs into one. No weights.

Elementwise (Add, Subtract, Multiply, Average, Maximum, Minimum): the shapes broadcast as Keras
does (aligned at the end; a size 1 stretches). Concatenate: equal shapes except on ``axis``,
whose sizes add up. Dot: the batched dot product along ``axes`` of two inputs.

Axes count the batch axis as 0, as in Keras (``axis=-1`` is the last axis).
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Optional, Sequence

import sympy

from ..compute import N_in, N_out, ZERO, Cost, elementwise, elements, known, per_input
from ..errors import ExplainError
from ..symbols import as_value, sym
from .base import Layer, Shape, anything, flag, format_shape, integer, same_size, layer_type
from . import _texts
from .registry import lazy, lazy_getattr, register

n_dot = sym("n")
"""The size of the axis a dot product runs along."""


_LAZY_TYPES: set[str] = set()
"""Concatenate and Dot, built when a model first asks the registry for one (``registry.lazy``); a
ResNet's Add is built at import."""


def _lazy(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    _LAZY_TYPES.add(name)
    return lazy(name, globals())


__getattr__ = lazy_getattr(__name__, _LAZY_TYPES)


def _shapes_text(shapes: Sequence[Shape]) -> str:
    return ", ".join(format_shape(s) for s in shapes)


@layer_type
class _Merge(Layer):
    role = "merge"
    explanation = _texts.MERGE

    multi_input = True
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[Optional[int]] = None

    def _check_count(self, shapes: Sequence[Shape]) -> None:
        n = len(shapes)
        low, high = self.min_inputs, self.max_inputs
        if n < low or (high is not None and n > high):
            want = f"exactly {low}" if low == high else f"at least {low}"
            raise ExplainError(f"{self.type_name} takes {want} inputs (a list in 'inputs'). "
                               f"Received: {n} input{'s' if n != 1 else ''}")


def broadcast(a: Shape, b: Shape, type_name: str, shapes: Sequence[Shape]) -> Shape:
    """Keras's elementwise output shape of two inputs (aligned at the end)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[:len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1:
            out.append(i)
        else:
            if same_size(i, j) is False:
                raise ExplainError(f"{type_name}: the inputs have incompatible shapes. "
                                   f"Received: input shapes {_shapes_text(shapes)}")
            out.append(i)
    return tuple(out)


@layer_type
class _Elementwise(_Merge):
    """Elementwise merge: output shape = the broadcast of the input shapes."""

    def cost(self, shapes, out, values) -> Cost:
        """n − 1 operations per output element for n inputs: N_out·(n − 1)."""
        return elementwise(out, len(shapes) - 1)

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        self._check_count(shapes)
        out = shapes[0]
        for s in shapes[1:]:
            out = broadcast(out, s, self.type_name, shapes)
        return out


def _elementwise(name: str, explanation: str, min_inputs: int = 1,
                 max_inputs: int | None = None, role: str = "merge") -> type[Layer]:
    cls = type(name, (_Elementwise,), {"__module__": __name__, "min_inputs": min_inputs, "role": role,
                                       "max_inputs": max_inputs, "explanation": explanation,
                                       "__doc__": f"{name}: elementwise over its inputs; no weights."})
    return register(name)(layer_type(cls))


Add = _elementwise("Add", _texts.ADD, role="add")  # a residual block's skip connection
Subtract = _elementwise("Subtract", _texts.SUBTRACT, 2, 2)
Multiply = _elementwise("Multiply", _texts.MULTIPLY)
Average = _elementwise("Average", _texts.AVERAGE)
Maximum = _elementwise("Maximum", _texts.MAXIMUM)
Minimum = _elementwise("Minimum", _texts.MINIMUM)


def _axis(axis: int, rank: int, type_name: str, shape: Shape, arg: str = "axis") -> int:
    """A Keras axis (batch = 0) as an index into a shape without the batch axis."""
    full = rank + 1
    if not isinstance(axis, int) or not -full < axis < full or axis % full == 0:
        raise ExplainError(f"{type_name}: '{arg}' must name a non-batch axis of the input "
                           f"{format_shape(shape)}. Received: {arg}={axis!r}")
    return axis % full - 1


@_lazy("Concatenate")
def _concatenate() -> type[Layer]:
    @register("Concatenate")
    @layer_type
    class Concatenate(_Merge):
        """Joins the inputs along ``axis``: sizes there add up; the other sizes must agree."""

        explanation = _texts.CONCATENATE
        ops_per_element = 0

        positional = ("axis",)
        axis: int = integer(-1)

        def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
            self._check_count(shapes)
            rank = len(shapes[0])
            if any(len(s) != rank for s in shapes):
                raise ExplainError(f"Concatenate needs inputs of the same rank. "
                                   f"Received: input shapes {_shapes_text(shapes)}")
            a = _axis(self.axis, rank, self.type_name, shapes[0])
            for i in range(rank):
                if i == a:
                    continue
                sizes = [s[i] for s in shapes]
                if any(same_size(sizes[0], d) is False for d in sizes[1:]):
                    raise ExplainError(f"Concatenate needs inputs with matching shapes except on the "
                                       f"concatenation axis (axis={self.axis}). "
                                       f"Received: input shapes {_shapes_text(shapes)}")
            joined = [s[a] for s in shapes]
            known = [d for d in joined if d is not None]
            total = as_value(sympy.Add(*known)) if len(known) == len(joined) else None  # one sum, not n
            out = list(shapes[0])
            out[a] = total
            return tuple(out)

    return Concatenate


@_lazy("Dot")
def _dot() -> type[Layer]:
    @register("Dot")
    @layer_type
    class Dot(_Merge):
        """Batched dot product of two inputs along ``axes`` (one axis, or one per input): the output
        is the first shape without its axis, then the second without its axis; (1,) if nothing is left."""

        explanation = _texts.DOT

        positional = ("axes", "normalize")
        min_inputs = 2
        max_inputs = 2
        axes: Any = anything()
        normalize: bool = flag(False)

        def validate(self, ctx) -> None:
            axes = self.axes
            ok = isinstance(axes, int) and not isinstance(axes, bool) or (
                isinstance(axes, (list, tuple)) and len(axes) == 2
                and all(isinstance(a, int) and not isinstance(a, bool) for a in axes))
            if not ok:
                raise ExplainError(f"'axes' must be a whole number or a list of two. Received: axes={axes!r}")

        def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
            self._check_count(shapes)
            s1, s2 = shapes
            pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
            a1 = _axis(pair[0], len(s1), self.type_name, s1, "axes")
            a2 = _axis(pair[1], len(s2), self.type_name, s2, "axes")
            if same_size(s1[a1], s2[a2]) is False:
                raise ExplainError(f"Dot: the sizes along the dot axes differ ({s1[a1]} on axis {a1 + 1} of "
                                   f"the first input, {s2[a2]} on axis {a2 + 1} of the second). "
                                   f"Received: input shapes {_shapes_text(shapes)}, axes={self.axes!r}")
            out = s1[:a1] + s1[a1 + 1:] + s2[:a2] + s2[a2 + 1:]
            return out if out else (1,)

        def cost(self, shapes, out, values) -> Cost:
            """n multiply-accumulates per output element, n the size of the dot axis: N_out·n
            (normalize adds the two inputs' norms, 3 operations per input element)."""
            s1 = shapes[0]
            pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
            a1 = _axis(pair[0], len(s1), self.type_name, s1, "axes")
            other = per_input(shapes, 3).other if self.normalize else ZERO
            found = {N_out: elements(out), n_dot: known(s1[a1])}
            if self.normalize:
                found[N_in] = sum((elements(s) for s in shapes), 0)
            return Cost(N_out * n_dot, other, found)

    return Dot
