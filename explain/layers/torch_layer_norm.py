"""PyTorch's normalizations over the last axes of each sample (transformers' norms).

    LayerNorm           weight N + bias N over normalized_shape (N = its product)
    RMSNorm             weight N
"""
from __future__ import annotations


from ..compute import NORM_OPS, RMS_OPS, Cost, elementwise
from ..errors import ExplainError
from ..symbols import C, product
from .base import Group, Layer, Shape, _size, anything, arg, flag, format_shape, same_size, layer_type
from . import _texts
from .registry import lazy, lazy_getattr
from .torch_core import torch_module

__getattr__ = lazy_getattr(__name__, ("LayerNorm",), "pytorch")
"""LayerNorm is built when a model first asks the registry for it (``registry.lazy``): a Llama,
Mistral or Qwen config uses RMSNorm only."""

_WEIGHT, _BIAS = Group("weight", C), Group("bias", C)


def _normalized(ctx, name: str, raw: object, rank: int) -> tuple:
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    if not items:
        raise ExplainError(f"'{name}' needs at least one size. Received: {name}={raw!r}")
    return tuple(_size(ctx, name, r, 1) for r in items)


def _check_trailing(type_name: str, normalized: tuple, shape: Shape) -> None:
    n = len(normalized)
    tail = tuple(shape[-n:]) if n <= len(shape) else None
    if tail is None or any(same_size(a, b) is False for a, b in zip(normalized, tail)):
        raise ExplainError(f"{type_name}: normalized_shape={list(normalized)} must match the last axes "
                           f"of the input {format_shape(shape)}. Received: normalized_shape={list(normalized)}")


@lazy("LayerNorm", globals(), "pytorch")
def _layer_norm() -> type[Layer]:
    @torch_module("LayerNorm")
    @layer_type
    class LayerNorm(Layer):
        """weight N + bias N, N = ∏ normalized_shape (the last axes of the input)."""

        exact_shape_rule = True
        role = "norm"
        symbol_meanings = {"C": "normalized_features"}
        explanation = _texts.LAYER_NORM
        explanation_no_bias = _texts.NORM_NO_BIAS
        explanation_no_weights = _texts.NORM_NO_WEIGHTS

        def cost(self, shapes, out, values) -> Cost:
            """Mean, variance and normalising (5 per element), + 1 for each of weight, bias."""
            return elementwise(out, NORM_OPS + len(self.weight_groups()))

        positional = ("normalized_shape", "eps", "elementwise_affine", "bias")
        normalized_shape: tuple = arg(_normalized)
        eps: object = anything(1e-5)
        elementwise_affine: bool = flag(True)
        bias: bool = flag(True)
        device: object = anything()
        dtype: object = anything()

        def weight_groups(self) -> tuple[Group, ...]:
            if not self.elementwise_affine:
                return ()
            return (_WEIGHT, _BIAS) if self.bias else (_WEIGHT,)

        def notes(self) -> tuple[str, ...]:
            names = ("torch_ln_names",) if self.elementwise_affine and self.bias else ()
            last_only = len(self.normalized_shape) == 1
            return names + ("layernorm_no_statistics" if last_only else "layernorm_no_statistics_axes",)

        def values(self, shape: Shape) -> dict:
            _check_trailing(self.type_name, self.normalized_shape, shape)
            return {C: product(self.normalized_shape)}

    return LayerNorm


@torch_module("RMSNorm")
@layer_type
class RMSNorm(Layer):
    """weight N, N = ∏ normalized_shape; no bias."""

    role = "norm"
    explanation = _texts.RMS_NORM
    explanation_no_weights = _texts.RMS_NORM_NO_WEIGHTS

    def cost(self, shapes, out, values) -> Cost:
        """Sum of squares and normalising (3 per element), + 1 for the weight."""
        return elementwise(out, RMS_OPS + len(self.weight_groups()))

    positional = ("normalized_shape", "eps", "elementwise_affine")
    normalized_shape: tuple = arg(_normalized)
    eps: object = anything()
    elementwise_affine: bool = flag(True)
    device: object = anything()
    dtype: object = anything()

    def weight_groups(self) -> tuple[Group, ...]:
        return (_WEIGHT,) if self.elementwise_affine else ()

    def values(self, shape: Shape) -> dict:
        _check_trailing(self.type_name, self.normalized_shape, shape)
        return {C: product(self.normalized_shape)}
