"""Calls in a PyTorch module's ``forward`` that change the shape between its modules
(``x.mean(1)``, ``torch.flatten(x, 1)``, ``x.view(-1, 400)``): steps of the derivation without
parameters, which ``from_torch`` makes from its shape pass. They are not registered layer types
(a spec names modules); each type is built when a model first has such a step.

Shapes exclude the batch axis; ``dim`` counts it as 0, as torch does, and may not name it.

    TensorReduction  mean, sum, amax, amin over dim   (…) → the axes of dim dropped (size 1 with keepdim)
                     O = N_in: each input value read once, as by a global pooling
    TensorReshape    flatten, view, reshape           (…) → another shape of as many values; no operations
                     transpose, permute               (…) → its axes in another order; no operations
"""
from __future__ import annotations

from functools import cache
from typing import Any, Sequence

from ..compute import Cost, per_input
from ..errors import ExplainError
from ..symbols import product
from . import _texts
from .base import Layer, Shape, choice, flag, format_shape, integer, integers, layer_type
from .torch_core import torch_dim

REDUCTIONS = ("mean", "sum", "amax", "amin")
RESHAPES = ("flatten", "view", "reshape", "transpose", "permute")


@cache
def reduction_type() -> type[Layer]:
    """``TensorReduction`` (built once)."""

    @layer_type
    class TensorReduction(Layer):
        """torch.mean/sum/amax/amin (or the tensor's method) over the axes ``dim``: no weights;
        each input value is read once, O = N_in."""

        type_name = "TensorReduction"
        framework = "pytorch"
        role = "reduction"
        type_label = _texts.FUNCTION_CALL_LABEL
        call_in_forward = True

        function: str = choice(*REDUCTIONS)
        dim: tuple = integers()
        keepdim: bool = flag(False)

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            return _REDUCTION_TEXTS[self.function]

        def compute_explanation_for(self) -> str | None:
            return _REDUCTION_COMPUTE[self.function]

        def call(self) -> str:
            """The call as torch's keyword arguments write it: ``mean(dim=1)``, ``sum(dim=(1, 2), keepdim=True)``."""
            dims = str(self.dim[0]) if len(self.dim) == 1 else "(" + ", ".join(str(d) for d in self.dim) + ")"
            return f"{self.function}(dim={dims}{', keepdim=True' if self.keepdim else ''})"

        def cost(self, shapes, out, values) -> Cost:
            """Each input element added up or compared once: N_in."""
            return per_input(shapes)

        def output_shape(self, shape: Shape) -> Shape:
            axes = {torch_dim(d, len(shape), self.type_name, shape) for d in self.dim}
            if len(axes) != len(self.dim):
                raise ExplainError(f"{self.function}: 'dim' names an axis twice. Received: dim={self.dim}")
            if self.keepdim:
                return tuple(1 if i in axes else n for i, n in enumerate(shape))
            return tuple(n for i, n in enumerate(shape) if i not in axes)
    return TensorReduction


_REDUCTION_TEXTS = {"mean": _texts.MEAN_CALL, "sum": _texts.SUM_CALL, "amax": _texts.AMAX_CALL,
                    "amin": _texts.AMIN_CALL}
_REDUCTION_COMPUTE = {"mean": _texts.MEAN_COMPUTE, "sum": _texts.SUM_COMPUTE, "amax": _texts.EXTREMUM_COMPUTE,
                      "amin": _texts.EXTREMUM_COMPUTE}


@cache
def reshape_type() -> type[Layer]:
    """``TensorReshape`` (built once)."""

    @layer_type
    class TensorReshape(Layer):
        """torch.flatten, Tensor.view, torch.reshape on one sample's axes (the output holds the
        input's values in the same order), torch.transpose and permute (its axes in another order,
        the batch axis first): no weights, no operations."""

        type_name = "TensorReshape"
        framework = "pytorch"
        role = "reshape"
        type_label = _texts.FUNCTION_CALL_LABEL
        call_in_forward = True
        explanation = _texts.RESHAPE_CALL
        compute_explanation = _texts.RESHAPE_CALL_COMPUTE
        output_is_view = True
        ops_per_element = 0

        function: str = choice(*RESHAPES)
        sizes: tuple = integers()
        """The output's sizes without the batch axis, as the shape pass found them."""
        start_dim: int = integer(1)
        end_dim: int = integer(-1)
        dims: tuple = integers(())
        """transpose's two axes, permute's order of all of them (batch = 0)."""

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            return _texts.TRANSPOSE_CALL if self.function in ("transpose", "permute") else self.explanation

        def call(self) -> str:
            """``flatten(start_dim=1)`` (with ``end_dim`` where it is not the last axis),
            ``transpose(1, 2)``, ``permute(0, 2, 1)``; ``view``, ``reshape`` (their sizes hold the
            batch size of the shape pass, not what the forward wrote)."""
            if self.function in ("transpose", "permute"):
                return f"{self.function}({', '.join(str(d) for d in self.dims)})"
            if self.function != "flatten":
                return self.function
            end = f", end_dim={self.end_dim}" if self.end_dim != -1 else ""
            return f"flatten(start_dim={self.start_dim}{end})"

        def output_shape(self, shape: Shape) -> Shape:
            if any(n is None for n in shape) or product(shape) != product(self.sizes):
                raise ExplainError(f"{self.function}: the input {format_shape(shape)} does not have as many "
                                   f"values as {format_shape(self.sizes)}")
            return tuple(self.sizes)
    return TensorReshape


def step(kind: str, args: dict) -> tuple[Layer, str]:
    """The layer of a step (``kind``: ``TensorReduction`` or ``TensorReshape``, with the shape
    pass's arguments) and its name, the call: ``mean(dim=1)``."""
    layer: Any = (reduction_type() if kind == "TensorReduction" else reshape_type()).from_args(args)
    return layer, layer.call()
