"""Normalization layers.

BatchNormalization: γ C, β C (trainable) and moving mean C, moving variance C (non-trainable).
LayerNormalization: γ and β over the normalized axes; GroupNormalization: γ C, β C.
Normalization: mean C, variance C and count 1, all non-trainable (when not given as constants).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ExplainError
from ..symbols import C, product
from .base import Group, Layer, Shape, anything, flag, format_shape, known, size
from .registry import register

_GAMMA, _BETA = Group("gamma", C), Group("beta", C)
_MOVING = (Group("moving_mean", C, trainable=False), Group("moving_variance", C, trainable=False))


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


@dataclass(frozen=True, kw_only=True)
class _AffineNorm(Layer):
    axis: object = anything(-1)
    center: bool = flag(True)
    scale: bool = flag(True)

    def affine(self) -> tuple[Group, ...]:
        return ((_GAMMA,) if self.scale else ()) + ((_BETA,) if self.center else ())

    def weight_groups(self) -> tuple[Group, ...]:
        return self.affine()

    def values(self, shape: Shape) -> dict:
        return {C: _features(self.axis, shape, self.type_name)}


@register("BatchNormalization")
@dataclass(frozen=True, kw_only=True)
class BatchNormalization(_AffineNorm):
    """γ, β trainable; the moving mean and variance are weights that training does not change."""

    positional = ("axis", "momentum", "epsilon", "center", "scale")

    def weight_groups(self) -> tuple[Group, ...]:
        return self.affine() + _MOVING


@register("LayerNormalization")
@dataclass(frozen=True, kw_only=True)
class LayerNormalization(_AffineNorm):
    positional = ("axis", "epsilon", "center", "scale")
    rms_scaling: bool = flag(False)

    def weight_groups(self) -> tuple[Group, ...]:
        if self.rms_scaling:
            return (_GAMMA,)
        return self.affine()


@register("GroupNormalization")
@dataclass(frozen=True, kw_only=True)
class GroupNormalization(_AffineNorm):
    positional = ("groups", "axis", "epsilon", "center", "scale")
    groups: object = size(32)

    def values(self, shape: Shape) -> dict:
        channels = _features(self.axis, shape, self.type_name)
        if isinstance(channels, int) and isinstance(self.groups, int) and channels % self.groups:
            raise ExplainError(f"the number of channels ({channels}) must be divisible by 'groups'. "
                               f"Received: groups={self.groups}")
        return {C: channels}


@register("UnitNormalization")
@dataclass(frozen=True, kw_only=True)
class UnitNormalization(Layer):
    """x / ‖x‖ along ``axis``: no weights."""

    positional = ("axis",)
    axis: object = anything(-1)


_STATS = (Group("mean", C, trainable=False), Group("variance", C, trainable=False),
          Group("count", 1 + 0 * C, trainable=False))


@register("Normalization")
@dataclass(frozen=True, kw_only=True)
class Normalization(Layer):
    """Standardizes with a mean and variance learnt by ``adapt()``: stored as weights."""

    positional = ("axis", "mean", "variance", "invert")
    axis: object = anything(-1)
    mean: object = anything()
    variance: object = anything()
    invert: bool = flag(False)

    def weight_groups(self) -> tuple[Group, ...]:
        return () if self.mean is not None else _STATS

    def values(self, shape: Shape) -> dict:
        if self.mean is not None:
            return {}
        return {C: _features(self.axis, shape, self.type_name)}
