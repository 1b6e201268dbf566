"""Tensors counted as they are (a checkpoint's, or a torch module's without a formula here):
P = Σ over the tensors of the product of each one's shape."""
from __future__ import annotations


import sympy

from ..errors import ExplainError
from . import _texts
from .base import Group, Layer, Shape, anything, layer_type
from .registry import register


@register("Tensors", framework="pytorch")
@layer_type
class Tensors(Layer):
    """Tensors counted as they are: each group has the product of its tensor's shape.

    ``tensors``: ((name, count, trainable, buffer), …) with counts as exact ints;
    ``origin``: where they come from (a checkpoint, or a module type that has no formula here);
    ``nbytes``: their size in bytes, where known.
    """

    role = "tensors"
    explanation = _texts.TENSORS
    compute_not_derived = "tensors counted as they are, without a formula for what computes with them"

    tensors: tuple = anything(())
    origin: str = anything("")
    nbytes: object = anything(None)
    min_input_rank = 0

    def validate(self, ctx) -> None:
        super().validate(ctx)
        ok = isinstance(self.tensors, (tuple, list)) and all(
            isinstance(t, (tuple, list)) and len(t) == 4 and isinstance(t[0], str)
            and isinstance(t[1], int) and not isinstance(t[1], bool) and t[1] >= 0
            and isinstance(t[2], bool) and isinstance(t[3], bool) for t in self.tensors)
        if not ok:
            raise ExplainError("'tensors' must be a list of [name, count, trainable, buffer]. "
                               f"Received: tensors={self.tensors!r}"[:300])

    def weight_groups(self) -> tuple[Group, ...]:
        return tuple(Group(name, sympy.Integer(n), trainable, buffer)
                     for name, n, trainable, buffer in self.tensors)

    def output_shape(self, shape: Shape) -> Shape:
        return shape
