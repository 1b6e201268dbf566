"""Wrappers that apply another layer: TimeDistributed (the same weights at every time step)."""
from __future__ import annotations

from typing import Optional

import sympy

from ..compute import Cost, positioned
from ..errors import ExplainError
from .base import ArgContext, Group, Layer, Shape, arg, layer_type
from . import _texts
from .registry import make_from_mapping, register


def nested_layer(ctx: ArgContext, name: str, raw: object, rank: int) -> Layer:
    """The wrapped layer: a Layer, or a one-key mapping ``{Dense: {units: 8}}``."""
    if isinstance(raw, Layer):
        return raw
    layer, reserved = make_from_mapping(raw, ctx)
    if "inputs" in reserved:
        raise ExplainError("a wrapped layer takes no 'inputs'; give them to the wrapper")
    return layer


@register("TimeDistributed")
@layer_type
class TimeDistributed(Layer):
    """Applies ``layer`` to every slice along axis 1: (T, …) → (T, layer(…)); the weights are
    the wrapped layer's, shared across time steps."""

    role = "time_distributed"
    explanation = _texts.TIME_DISTRIBUTED
    explanation_no_weights = _texts.TIME_DISTRIBUTED_NO_WEIGHTS

    positional = ("layer",)
    ignores = frozenset()
    min_input_rank = 2
    layer: Layer = arg(nested_layer)

    def wrapped(self) -> Layer:
        return self.layer

    def weight_groups(self) -> tuple[Group, ...]:
        return self.layer.weight_groups()

    def explanation_code(self) -> dict[str, str]:
        """The wrapped layer's type, which the sentence names."""
        return {"wrapped": self.layer.type_name}

    def display_formula(self) -> Optional[sympy.Expr]:
        return self.layer.display_formula()

    def values(self, shape: Shape) -> dict:
        return self.layer.values(shape[1:])

    def notes_for(self, shapes) -> tuple[str, ...]:
        """The wrapped layer's notes: its weights, and so its count, are the wrapper's."""
        return self.layer.notes_for([s[1:] for s in shapes])

    def cost(self, shapes, out, values) -> Cost:
        """The wrapped layer's compute at each of the n_pos steps of axis 1."""
        inner = self.layer.cost((shapes[0][1:],), out[1:], values)
        scaled = positioned(inner.macs, inner.other, shapes[0][:1], inner.values)
        return Cost(scaled.macs, scaled.other, scaled.values, inner.parts)

    def output_shape(self, shape: Shape) -> Shape:
        inner = shape[1:]
        self.layer.check_rank(inner)
        return (shape[0],) + self.layer.output_shape(inner)
