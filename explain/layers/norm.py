"""Normalization layers.

BatchNormalization: γ C, β C (trainable) and moving mean C, moving variance C (non-trainable).
LayerNormalization: γ and β over the normalized axes; GroupNormalization: γ C, β C.
Normalization: mean C, variance C and count 1, all non-trainable (when not given as constants).
"""
from __future__ import annotations


from typing import Any, Callable, Optional, Sequence

from ..compute import BATCHNORM_OPS, NORM_OPS, RMS_OPS, Cost, elementwise
from ..errors import ExplainError
from ..symbols import C, product
from .base import (ArgContext, Group, Layer, Shape, anything, arg, flag, format_shape, has_bias,
                   has_scale, known, layer_type)
from . import _texts
from ._norm import batchnorm_explanation
from .registry import lazy, lazy_getattr, register

_LAZY_TYPES: set[str] = set()
"""The normalizations other than BatchNormalization (a CNN's): each is built when a model first
asks the registry for it (``registry.lazy``), as core's element-wise types are."""


def _lazy(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    _LAZY_TYPES.add(name)
    return lazy(name, globals())


__getattr__ = lazy_getattr(__name__, _LAZY_TYPES)

_GAMMA, _BETA = Group("gamma", C), Group("beta", C)
_AFFINE_IGNORES = frozenset({"epsilon", "beta_initializer", "gamma_initializer", "beta_regularizer",
                             "gamma_regularizer", "beta_constraint", "gamma_constraint"})
_MOVING = (Group("moving_mean", C, trainable=False), Group("moving_variance", C, trainable=False))


def _axis_arg(many: bool, none: bool = False):
    """An ``axis`` argument: one whole number, or (``many``) a list of them, or (``none``) null."""
    def convert(ctx: ArgContext, name: str, raw: Any, rank: int) -> Any:
        if raw is None and none:
            return None
        items = raw if many and isinstance(raw, (list, tuple)) else [raw]
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in items):
            kind = "a whole number or a list of whole numbers" if many else "a whole number"
            raise ExplainError(f"'{name}' must be {kind}. Received: {name}={raw!r}")
        return tuple(items) if isinstance(raw, (list, tuple)) else raw
    return convert


def _axes(axis: object, shape: Shape, type_name: str) -> list[int]:
    """Normalized, 0-based axes of ``shape`` (Keras counts the batch axis as 0)."""
    items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    rank = len(shape) + 1
    out = []
    for a in items:
        if not isinstance(a, int) or isinstance(a, bool) or not -rank < a < rank or a == 0 or a == -rank:
            raise ExplainError(f"{type_name}: 'axis' must name a non-batch axis of the input "
                               f"{format_shape(shape)}. Received: axis={axis!r}")
        out.append((a % rank) - 1)
    return out


def _features(axis: object, shape: Shape, type_name: str):
    return product(known(shape[a], "size of the normalized axis", type_name) for a in _axes(axis, shape, type_name))


def affine_explanation(gamma: bool, beta: bool) -> str:
    """A normalization's sentence for a layer with or without its scale γ and its shift β."""
    return {(True, True): _texts.NORM, (True, False): _texts.NORM_NO_BIAS,
            (False, True): _texts.NORM_NO_GAMMA, (False, False): _texts.NORM_NO_WEIGHTS}[gamma, beta]


@layer_type
class _AffineNorm(Layer):
    """A normalization with γ and β over the normalized axes (``center``, ``scale``)."""

    role = "norm"
    explanation = _texts.NORM
    explanation_no_bias = _texts.NORM_NO_BIAS
    explanation_no_weights = _texts.NORM_NO_WEIGHTS

    def cost(self, shapes, out, values) -> Cost:
        """Mean, variance and normalising (5 per element), + 1 per element for each of γ, β."""
        return elementwise(out, NORM_OPS + len(self.weight_groups()))

    ignores = _AFFINE_IGNORES
    axis: object = arg(_axis_arg(many=True), -1)
    center: bool = flag(True)
    scale: bool = flag(True)

    def affine(self) -> tuple[Group, ...]:
        return ((_GAMMA,) if self.scale else ()) + ((_BETA,) if self.center else ())

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        return affine_explanation(has_scale(weights), has_bias(weights))

    def weight_groups(self) -> tuple[Group, ...]:
        return self.affine()

    def values(self, shape: Shape) -> dict:
        return {C: _features(self.axis, shape, self.type_name)}


@register("BatchNormalization")
@layer_type
class BatchNormalization(_AffineNorm):
    """γ, β trainable; the moving mean and variance are weights that training does not change."""

    role = "batchnorm"
    explanation = _texts.BATCHNORM

    def cost(self, shapes, out, values) -> Cost:
        """At inference x·a + b per element (statistics, γ and β folded in)."""
        return elementwise(out, BATCHNORM_OPS)

    positional = ("axis", "momentum", "epsilon", "center", "scale")
    ignores = _AFFINE_IGNORES | {"momentum", "moving_mean_initializer", "moving_variance_initializer",
                                 "renorm", "renorm_clipping", "renorm_momentum", "synchronized"}
    axis: object = arg(_axis_arg(many=False), -1)

    def weight_groups(self) -> tuple[Group, ...]:
        return self.affine() + _MOVING

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        return batchnorm_explanation(has_scale(weights), has_bias(weights), True)

    def notes(self) -> tuple[str, ...]:
        """Keras names its tensors gamma, beta, moving_mean and moving_variance, as the sentence
        does: no note maps the names (PyTorch's weight and bias get one)."""
        return ("keras_bn_moving_stats_non_trainable", "bn_inference_statistics")


@_lazy("LayerNormalization")
def _layer_normalization() -> type[Layer]:
    @register("LayerNormalization")
    @layer_type
    class LayerNormalization(_AffineNorm):
        """γ and β over the normalized axes (C, their sizes' product); with rms_scaling γ only."""

        positional = ("axis", "epsilon", "center", "scale")
        rms_scaling: bool = flag(False)
        symbol_meanings = {"C": "normalized_features"}

        def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
            if has_scale(weights) and has_bias(weights):
                return _texts.LAYER_NORM
            return super().explanation_for(weights)

        def weight_groups(self) -> tuple[Group, ...]:
            if self.rms_scaling:
                return (_GAMMA,)
            return self.affine()

        def cost(self, shapes, out, values) -> Cost:
            """As normalization layers: with rms_scaling 3 per element + 1 for γ."""
            if self.rms_scaling:
                return elementwise(out, RMS_OPS + 1)
            return super().cost(shapes, out, values)

        def notes(self) -> tuple[str, ...]:
            """Without the input's shape (a wrapped layer's): only -1 is known to be the last axis."""
            return self._notes(self.axis in (-1, [-1], (-1,)))

        def notes_for(self, shapes: Sequence[Shape]) -> tuple[str, ...]:
            """The statistics' note says "the last axis" where the normalized axes are only the last
            one, written -1 or by its number (axis=2 on a 3-D input)."""
            return self._notes(_axes(self.axis, shapes[0], self.type_name) == [len(shapes[0]) - 1])

        def _notes(self, last_only: bool) -> tuple[str, ...]:
            names = ("keras_ln_names",) if self.center and self.scale and not self.rms_scaling else ()
            return names + ("layernorm_no_statistics" if last_only else "layernorm_no_statistics_axes",)

    return LayerNormalization


@_lazy("RMSNormalization")
def _rms_normalization() -> type[Layer]:
    @register("RMSNormalization")
    @layer_type
    class RMSNormalization(Layer):
        """x / RMS(x) · scale: one trainable scale per element of the normalized axes (C)."""

        role = "norm"
        explanation = _texts.RMS_NORM

        def cost(self, shapes, out, values) -> Cost:
            """Sum of squares and normalising (3 per element), + 1 for the scale."""
            return elementwise(out, RMS_OPS + 1)

        positional = ("axis", "epsilon")
        ignores = frozenset({"epsilon"})
        axis: object = arg(_axis_arg(many=True), -1)

        def weight_groups(self) -> tuple[Group, ...]:
            return (_SCALE,)

        def values(self, shape: Shape) -> dict:
            return {C: _features(self.axis, shape, self.type_name)}

    return RMSNormalization


_SCALE = Group("scale", C)


def _groups(ctx: ArgContext, name: str, raw: Any, rank: int) -> Any:
    """GroupNormalization's ``groups``: a positive number, or -1 (one group per channel)."""
    if raw == -1 and not isinstance(raw, bool):
        return -1
    value = ctx.number(name, raw)
    n = ctx.numeric(value)
    if n is not None and n <= 0:
        raise ExplainError(f"'groups' must be a positive number or -1 (instance normalization). "
                           f"Received: groups={raw!r}")
    return value


@_lazy("GroupNormalization")
def _group_normalization() -> type[Layer]:
    @register("GroupNormalization")
    @layer_type
    class GroupNormalization(_AffineNorm):
        """γ C and β C over the channel axis; the C channels are split into ``groups`` groups."""

        positional = ("groups", "axis", "epsilon", "center", "scale")
        groups: object = arg(_groups, 32)
        axis: object = arg(_axis_arg(many=False), -1)

        def values(self, shape: Shape) -> dict:
            channels = _features(self.axis, shape, self.type_name)
            groups = self.groups
            if isinstance(channels, int) and isinstance(groups, int) and groups != -1:
                if groups > channels:
                    raise ExplainError(f"'groups' cannot be more than the number of channels ({channels}). "
                                       f"Received: groups={groups}")
                if channels % groups:
                    raise ExplainError(f"the number of channels ({channels}) must be divisible by 'groups'. "
                                       f"Received: groups={groups}")
            return {C: channels}

    return GroupNormalization


@_lazy("UnitNormalization")
def _unit_normalization() -> type[Layer]:
    @register("UnitNormalization")
    @layer_type
    class UnitNormalization(Layer):
        """x / ‖x‖ along ``axis``: no weights."""

        role = "unit_norm"
        explanation = _texts.UNIT_NORM
        ops_per_element = RMS_OPS  # squares, their sum, the division

        positional = ("axis",)
        ignores = frozenset()
        axis: object = arg(_axis_arg(many=True), -1)

        def output_shape(self, shape: Shape) -> Shape:
            _axes(self.axis, shape, self.type_name)
            return shape

    return UnitNormalization


_STATS = (Group("mean", C, trainable=False), Group("variance", C, trainable=False),
          Group("count", 1 + 0 * C, trainable=False))


@_lazy("Normalization")
def _normalization() -> type[Layer]:
    @register("Normalization")
    @layer_type
    class Normalization(Layer):
        """Standardizes with a mean and variance learnt by ``adapt()``: stored as weights."""

        role = "standardize"
        explanation = _texts.NORMALIZATION
        explanation_no_weights = _texts.NORMALIZATION_GIVEN
        ops_per_element = 2  # (x − mean) / √variance

        positional = ("axis", "mean", "variance", "invert")
        ignores = frozenset()
        axis: object = arg(_axis_arg(many=True, none=True), -1)
        mean: object = anything()
        variance: object = anything()
        invert: bool = flag(False)

        def validate(self, ctx: ArgContext) -> None:
            if (self.mean is None) != (self.variance is None):
                raise ExplainError("give both 'mean' and 'variance', or neither. "
                                   f"Received: mean={self.mean!r}, variance={self.variance!r}")

        def weight_groups(self) -> tuple[Group, ...]:
            return () if self.mean is not None else _STATS

        def values(self, shape: Shape) -> dict:
            """C = the product of the kept axes (1 for ``axis: null``, which keeps none)."""
            if self.mean is not None:
                return {}
            if self.axis is None or self.axis == ():
                return {C: 1}
            return {C: _features(self.axis, shape, self.type_name)}

    return Normalization
