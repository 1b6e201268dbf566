"""PyTorch pooling, padding and resampling modules, channels first. No weights.

Window pooling (stride defaults to kernel_size): the window rules of ``explain/shapes.py``
(``torch_pool``; ceil_mode rounds up, but no window starts in the right padding).

Adaptive pooling: the spatial sizes become ``output_size`` (None keeps an input size).
"""
from __future__ import annotations

import math
from functools import cache
from typing import Callable, ClassVar, Sequence

import sympy

from ..compute import NO_RULE, Cost, NotDerived, elementwise, per_input, pooled, window_math
from ..symbols import KERNEL_SYMBOLS
from ..errors import ExplainError
from ..shapes import Window, torch_pool
from ..symbols import Value, as_value
from .base import (Layer, Shape, _count, _size, anything, arg, counts, flag, format_shape, optional_sizes, sizes,
                   layer_type)
from . import _texts
from ._spatial import Windowed, uniform_stride
from .registry import lazy, lazy_getattr
from .torch_core import torch_module


@layer_type
class _Pool(Layer, Windowed):
    """PyTorch's window poolings (max, average, power-average; 1d to 3d), channels first: no
    weights; the output lengths follow the window rules of ``explain/shapes.py``."""

    role = "pool"
    explanation = _texts.POOL

    positional: ClassVar[tuple[str, ...]] = ("kernel_size", "stride", "padding", "dilation", "return_indices",
                                             "ceil_mode")
    kernel_size: tuple = sizes()
    stride: tuple | None = optional_sizes()
    padding: tuple = counts(0)
    dilation: tuple = sizes(1)
    ceil_mode: bool = flag(False)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 1

    def validate(self, ctx) -> None:
        for k, p in zip(self.kernel_size, self.padding):
            kn, pn = ctx.numeric(k), ctx.numeric(p)
            if kn is not None and pn is not None and 2 * pn > kn:
                raise ExplainError(f"{self.type_name}: padding must be at most half the kernel size. "
                                   f"Received: padding={self.padding}, kernel_size={self.kernel_size}")

    def cost(self, shapes, out, values) -> Cost:
        """k_h·k_w comparisons (max) or additions (average, power average) per output element."""
        return pooled(KERNEL_SYMBOLS[self.rank], self.kernel_size, out)

    def compute_math(self) -> dict:
        return window_math(self.rank)

    def default_stride(self) -> str | None:
        return "stride=None" if self.stride is None else None

    def stride_argument(self) -> str | None:
        return uniform_stride("stride", self.stride, skip_one=False)

    def axis_window(self, i: int, length) -> Window:
        return torch_pool(self.kernel_size[i], (self.stride or self.kernel_size)[i], self.padding[i],
                          self.dilation[i], self.ceil_mode)

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0],) + self.window_lengths(shape)


@layer_type
class _MaxPool(_Pool):
    """Max pooling; ``return_indices`` adds the indices as a second output of the same shape."""

    exact_shape_rule = True  # one output: without return_indices (the rule path checks it)

    explanation = _texts.MAX_POOL
    compute_explanation = _texts.MAX_POOL_COMPUTE

    return_indices: bool = flag(False)

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        return (self.output_shape(shapes[0]),) if self.return_indices else ()


@cache
def _avg_pool() -> type:
    @layer_type
    class _AvgPool(_Pool):
        """Average pooling (no dilation)."""

        exact_shape_rule = True

        explanation = _texts.AVG_POOL
        compute_explanation = _texts.AVG_POOL_COMPUTE

        positional = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                      "divisor_override")
        count_include_pad: bool = flag(True)
        divisor_override: object = anything()
        dilation: tuple = sizes(1)

        def output_shape(self, shape: Shape) -> Shape:
            """AvgPool3d (torch's avg_pool3d) also needs each axis of the input, before padding, to
            be at least the kernel's."""
            if self.rank == 3 and any(_known_below(n, k) for n, k in zip(shape[1:], self.kernel_size)):
                raise ExplainError(f"{self.type_name}: the input {format_shape(shape)} is smaller than the kernel "
                                   f"{tuple(self.kernel_size)} (before padding). Received: kernel_size={self.kernel_size}")
            return super().output_shape(shape)

    return _named(_AvgPool)


def _known_below(n: object, k: object) -> bool:
    whole = (int, sympy.Integer)
    return isinstance(n, whole) and isinstance(k, whole) and n < k


@cache
def _lp_pool() -> type:
    @layer_type
    class _LPPool(_Pool):
        """Power-average pooling (no padding, no dilation)."""

        role = "pool"
        explanation = _texts.LP_POOL

        positional = ("norm_type", "kernel_size", "stride", "ceil_mode")
        norm_type: object = anything(2)

    return _named(_LPPool)


def _output_size(ctx, name: str, raw: object, rank: int) -> tuple:
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw] * rank
    if len(items) != rank:
        raise ExplainError(f"'{name}' must be one size or a list of {rank}. Received: {name}={raw!r}")
    return tuple(None if r is None else _size(ctx, name, r, 1) for r in items)


@layer_type
class _Adaptive(Layer):
    """The spatial sizes become ``output_size`` (None keeps the input's)."""

    role = "adaptive_pool"
    explanation = _texts.ADAPTIVE_AVG_POOL
    exact_shape_rule = True

    positional = ("output_size", "return_indices")
    output_size: tuple = arg(_output_size)

    def cost(self, shapes, out, values) -> Cost:
        """Each input element compared or added about once: N_in."""
        return per_input(shapes)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 1

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0],) + tuple(n if o is None else o for n, o in zip(shape[1:], self.output_size))


@cache
def _adaptive_max() -> type:
    @layer_type
    class _AdaptiveMax(_Adaptive):
        explanation = _texts.ADAPTIVE_MAX_POOL
        exact_shape_rule = False
        return_indices: bool = flag(False)

        def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
            return (self.output_shape(shapes[0]),) if self.return_indices else ()

    return _named(_AdaptiveMax)


def _define(base: type, name: str, rank: int) -> type:
    cls = type(name, (base,), {"__module__": __name__, "rank": rank, "__doc__": base.__doc__})
    return torch_module(name)(layer_type(cls))


def _named(cls: type) -> type:
    """A base built in a function, named as if defined at the top of the module."""
    cls.__qualname__ = cls.__name__
    return cls


_LAZY_TYPES: set[str] = set()
"""The types a ResNet or VGG does not use (average, power-average and adaptive max pooling, the
padding modules, Upsample): each, with its base, is built when a model first asks the registry
for it (``registry.lazy``), as torch_core's rarer types are; a dataclass costs ≈ 0.6 ms."""

__getattr__ = lazy_getattr(__name__, _LAZY_TYPES, "pytorch")


def _define_lazy(base: Callable[[], type], name: str, rank: int) -> None:
    _LAZY_TYPES.add(name)
    lazy(name, globals(), "pytorch")(lambda: _define(base(), name, rank))


for _r in (1, 2, 3):
    for _base, _name in ((_MaxPool, "MaxPool"), (_Adaptive, "AdaptiveAvgPool")):
        globals()[f"{_name}{_r}d"] = _define(_base, f"{_name}{_r}d", _r)
    for _lazy_base, _name in ((_avg_pool, "AvgPool"), (_adaptive_max, "AdaptiveMaxPool"), (_lp_pool, "LPPool")):
        _define_lazy(_lazy_base, f"{_name}{_r}d", _r)


# ----------------------------------------------------------------------------- padding

def _pad_amounts(ctx, name: str, raw: object, rank: int) -> tuple:
    """torch order: (left, right, top, bottom, front, back) — last axis first."""
    if isinstance(raw, (list, tuple)):
        if len(raw) != 2 * rank:
            raise ExplainError(f"'{name}' must be one number or {2 * rank} numbers. Received: {name}={list(raw)!r}")
        return tuple(_count(ctx, name, r, 1) for r in raw)
    return (_count(ctx, name, raw, 1),) * (2 * rank)


@cache
def _pad() -> type:
    @layer_type
    class _Pad(Layer):
        """Adds padding to the last ``rank`` axes: each grows by its two amounts."""

        role = "padding"
        explanation = _texts.PAD
        ops_per_element = 0

        positional = ("padding", "value")
        padding: tuple = arg(_pad_amounts)
        value: object = anything()

        def check_rank(self, shape: Shape) -> None:
            if len(shape) < self.rank:
                raise ExplainError(f"{self.type_name} expects an input of rank {self.rank} or more. "
                                   f"Received: input_shape={format_shape(shape)}")

        def output_shape(self, shape: Shape) -> Shape:
            out = list(shape)
            for j in range(self.rank):
                axis = len(shape) - 1 - j
                before, after = self.padding[2 * j], self.padding[2 * j + 1]
                if out[axis] is not None:
                    out[axis] = as_value(out[axis] + before + after)
            return tuple(out)

    return _named(_Pad)


for _r in (1, 2, 3):
    for _kind in ("Zero", "Constant", "Reflection", "Replication", "Circular"):
        _define_lazy(_pad, f"{_kind}Pad{_r}d", _r)


def _optional_sizes_any(ctx, name: str, raw: object, rank: int) -> tuple | None:
    """None, a size, or a list of sizes (one per spatial axis)."""
    if raw is None:
        return None
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return tuple(_size(ctx, name, r, 1) for r in items)


def _factors(ctx, name: str, raw: object, rank: int) -> tuple | None:
    """None, a positive number, or a list of them."""
    if raw is None:
        return None
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out = []
    for r in items:
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r <= 0:
            raise ExplainError(f"'{name}' must be a positive number or a list of them. Received: {name}={raw!r}")
        out.append(int(r) if float(r).is_integer() else float(r))
    return tuple(out)


_LAZY_TYPES.add("Upsample")


@lazy("Upsample", globals(), "pytorch")
def _upsample() -> type[Layer]:
    @torch_module("Upsample")
    @layer_type
    class Upsample(Layer):
        """Resizes the spatial axes to ``size`` or by ``scale_factor`` (⌊n·f⌋)."""

        role = "resize"
        explanation = _texts.UPSAMPLE

        positional: ClassVar[tuple[str, ...]] = ("size", "scale_factor", "mode", "align_corners",
                                                 "recompute_scale_factor")
        size: tuple | None = arg(_optional_sizes_any, None)
        scale_factor: tuple | None = arg(_factors, None)
        mode: object = anything("nearest")
        align_corners: object = anything()
        recompute_scale_factor: object = anything()

        def cost(self, shapes, out, values) -> Cost:
            """Mode 'nearest' copies input elements: nothing computed. No rule for interpolation."""
            if self.mode != "nearest":
                raise NotDerived(NO_RULE)
            return elementwise(out, 0)

        def output_shape(self, shape: Shape) -> Shape:
            spatial = len(shape) - 1
            if (self.size is None) == (self.scale_factor is None):
                raise ExplainError("Upsample needs either 'size' or 'scale_factor'")
            if self.size is not None:
                sizes_ = self.size * spatial if len(self.size) == 1 else self.size
                if len(sizes_) != spatial:
                    raise ExplainError(f"Upsample: 'size' needs one size or {spatial}. Received: size={list(self.size)}")
                return (shape[0],) + tuple(sizes_)
            scale = self.scale_factor or ()
            factors = scale * spatial if len(scale) == 1 else scale
            if len(factors) != spatial:
                raise ExplainError(f"Upsample: 'scale_factor' needs one number or {spatial}. "
                                   f"Received: scale_factor={list(scale)}")
            out: list[Value] = []
            for n, f in zip(shape[1:], factors):
                if n is None:
                    out.append(None)
                elif isinstance(f, int):
                    out.append(as_value(n * f))
                elif isinstance(n, int):
                    out.append(int(n * f))
                else:
                    raise ExplainError(f"Upsample: a fractional scale_factor needs a numeric size. "
                                       f"Received: scale_factor={self.scale_factor}")
            return (shape[0],) + tuple(out)
    return Upsample
