"""PyTorch normalization modules.

    BatchNorm1d/2d/3d   weight C + bias C (affine); buffers running_mean C, running_var C,
                        num_batches_tracked 1 (track_running_stats): 2C parameters, not 4C
    InstanceNorm*       the same groups, but affine and track_running_stats default to False
    GroupNorm           weight C + bias C

LayerNorm and RMSNorm, which normalize over the last axes, are in ``torch_layer_norm``.

Inputs are channels-first: (C, L) or (C,) for the 1d types, (C, H, W), (C, D, H, W).
"""
from __future__ import annotations

from typing import Callable, ClassVar, Optional, Sequence

import sympy

from ..compute import BATCHNORM_OPS, NORM_OPS, Cost, elementwise
from ..errors import ExplainError
from ..symbols import C, Value
from .base import Group, Layer, Shape, anything, flag, format_shape, has_bias, has_scale, size, layer_type
from . import _texts
from ._norm import batchnorm_explanation
from .registry import lazy, lazy_getattr
from .torch_core import check_stated, torch_module

_WEIGHT, _BIAS = Group("weight", C), Group("bias", C)
_STATS = (Group("running_mean", C, trainable=False, buffer=True),
          Group("running_var", C, trainable=False, buffer=True),
          Group("num_batches_tracked", sympy.Integer(1), trainable=False, buffer=True))


@layer_type
class _BatchNorm(Layer):
    """A PyTorch normalization over the channels (axis 1) with batch normalization's groups:
    weight C + bias C (affine) and the buffers running_mean C, running_var C and
    num_batches_tracked 1 (track_running_stats)."""

    exact_shape_rule = True
    """weight C + bias C (affine, bias) and, with track_running_stats, the buffers running_mean C,
    running_var C and num_batches_tracked 1; num_features C must be the input's axis 1."""

    role = "batchnorm"
    explanation = _texts.BATCHNORM

    def cost(self, shapes, out, values) -> Cost:
        """At inference x·a + b per element (statistics, weight and bias folded in)."""
        return elementwise(out, BATCHNORM_OPS)

    positional: ClassVar[tuple[str, ...]] = ("num_features", "eps", "momentum", "affine", "track_running_stats")
    input_ranks: ClassVar[tuple[int, ...]] = (1, 2)
    num_features: Value = size()
    eps: object = anything(1e-5)
    momentum: object = anything(0.1)
    affine: bool = flag(True)
    track_running_stats: bool = flag(True)
    bias: bool = flag(True)
    device: object = anything()
    dtype: object = anything()

    def check_rank(self, shape: Shape) -> None:
        allowed = type(self).input_ranks
        if len(shape) not in allowed:
            want = " or ".join(str(r) for r in allowed)
            raise ExplainError(f"{self.type_name} expects an input of rank {want} (channels first, "
                               f"without the batch axis). Received: input_shape={format_shape(shape)}")

    def weight_groups(self) -> tuple[Group, ...]:
        affine = ((_WEIGHT,) + ((_BIAS,) if self.bias else ())) if self.affine else ()
        return affine + (_STATS if self.track_running_stats else ())

    def values(self, shape: Shape) -> dict:
        check_stated(self.type_name, "num_features", self.num_features, shape[0], shape,
                     "channel axis (axis 1)")
        return {C: self.num_features}

    def notes(self) -> tuple[str, ...]:
        if not self.track_running_stats:
            return ()
        names = ("torch_bn_names",) if self.affine and self.bias else ()
        return names + ("bn_running_stats_buffers", "bn_inference_statistics")

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        return batchnorm_explanation(has_scale(weights), has_bias(weights), self.track_running_stats)


def _define(base: type, name: str, ranks: tuple[int, ...], **defaults) -> type:
    namespace: dict = {"__module__": __name__, "input_ranks": ranks, "__doc__": base.__doc__,
                       "__annotations__": {}}
    for key, value in defaults.items():
        namespace["__annotations__"][key] = bool
        namespace[key] = flag(value)
    cls = type(name, (base,), namespace)
    return torch_module(name)(layer_type(cls))


@layer_type
class _InstanceNorm(_BatchNorm):
    exact_shape_rule = False
    """The same groups as BatchNorm, but affine and track_running_stats default to False."""

    role = "instance_norm"
    explanation = _texts.INSTANCE_NORM

    def cost(self, shapes, out, values) -> Cost:
        """Mean, variance and normalising (5 per element), + 1 for each of weight, bias."""
        return elementwise(out, NORM_OPS + sum(1 for g in self.weight_groups() if not g.buffer))

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        return self.explanation  # true with and without affine and running statistics


BatchNorm1d = _define(_BatchNorm, "BatchNorm1d", (1, 2))
BatchNorm2d = _define(_BatchNorm, "BatchNorm2d", (3,))
BatchNorm3d = _define(_BatchNorm, "BatchNorm3d", (4,))

_LAZY_TYPES: set[str] = set()
"""The types other than BatchNorm (InstanceNorm, SyncBatchNorm, GroupNorm, the local response
norms): each is built when a model first asks the registry for it (``registry.lazy``), as
torch_core's rarer types are; a dataclass costs ≈ 0.6 ms."""

__getattr__ = lazy_getattr(__name__, _LAZY_TYPES, "pytorch")


def _lazy(name: str) -> Callable[[Callable[[], type[Layer]]], Callable[[], type[Layer]]]:
    _LAZY_TYPES.add(name)
    return lazy(name, globals(), "pytorch")


def _define_instance_norm(rank: int) -> None:
    name = f"InstanceNorm{rank}d"
    _lazy(name)(lambda: _define(_InstanceNorm, name, (rank + 1,), affine=False, track_running_stats=False))


for _r in (1, 2, 3):
    _define_instance_norm(_r)


@_lazy("SyncBatchNorm")
def _sync_batch_norm() -> type[Layer]:
    @torch_module("SyncBatchNorm")
    @layer_type
    class SyncBatchNorm(_BatchNorm):
        exact_shape_rule = False
        """BatchNorm whose statistics are taken over all processes: the same tensors as BatchNorm."""

        positional = ("num_features", "eps", "momentum", "affine", "track_running_stats", "process_group")
        input_ranks: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
        process_group: object = anything()
    return SyncBatchNorm


@_lazy("GroupNorm")
def _group_norm() -> type[Layer]:
    @torch_module("GroupNorm")
    @layer_type
    class GroupNorm(Layer):
        """weight C + bias C over num_channels C (axis 1), which num_groups must divide."""

        role = "norm"
        explanation = _texts.NORM
        explanation_no_bias = _texts.NORM_NO_BIAS
        explanation_no_weights = _texts.NORM_NO_WEIGHTS

        def cost(self, shapes, out, values) -> Cost:
            """Mean, variance and normalising (5 per element), + 1 for each of weight, bias."""
            return elementwise(out, NORM_OPS + len(self.weight_groups()))

        positional = ("num_groups", "num_channels", "eps", "affine")
        min_input_rank = 1
        num_groups: Value = size()
        num_channels: Value = size()
        eps: object = anything(1e-5)
        affine: bool = flag(True)
        bias: bool = flag(True)
        device: object = anything()
        dtype: object = anything()

        def validate(self, ctx) -> None:
            c, g = ctx.numeric(self.num_channels), ctx.numeric(self.num_groups)
            if c is not None and g is not None and c % g:
                raise ExplainError(f"GroupNorm: num_channels must be divisible by num_groups. "
                                   f"Received: num_groups={self.num_groups}, num_channels={self.num_channels}")

        def weight_groups(self) -> tuple[Group, ...]:
            if not self.affine:
                return ()
            return (_WEIGHT, _BIAS) if self.bias else (_WEIGHT,)

        def values(self, shape: Shape) -> dict:
            check_stated(self.type_name, "num_channels", self.num_channels, shape[0], shape,
                         "channel axis (axis 1)")
            return {C: self.num_channels}
    return GroupNorm


@_lazy("LocalResponseNorm")
def _local_response_norm() -> type[Layer]:
    @torch_module("LocalResponseNorm")
    @layer_type
    class LocalResponseNorm(Layer):
        """No weights."""

        role = "local_response_norm"
        explanation = _texts.LOCAL_RESPONSE_NORM
        compute_not_derived = "no rule for the window sum and power of local response normalization"

        positional = ("size", "alpha", "beta", "k")
        size: object = anything()
        alpha: object = anything()
        beta: object = anything()
        k: object = anything()
    return LocalResponseNorm


@_lazy("CrossMapLRN2d")
def _cross_map_lrn() -> type[Layer]:
    @torch_module("CrossMapLRN2d")
    @layer_type
    class CrossMapLRN2d(Layer):
        """Local response normalisation across channels of (C, H, W); no weights."""

        role = "local_response_norm"
        explanation = _texts.LOCAL_RESPONSE_NORM
        compute_not_derived = "no rule for the window sum and power of local response normalization"

        positional = ("size", "alpha", "beta", "k")
        input_rank = 3
        size: object = anything()
        alpha: object = anything(1e-4)
        beta: object = anything(0.75)
        k: object = anything(1)
    return CrossMapLRN2d
