"""PyTorch convolutions, channels first: Conv1d/2d/3d and ConvTranspose1d/2d/3d.

    Conv           weight c_out·(c_in/g)·k… + bias c_out
    ConvTranspose  weight c_in·(c_out/g)·k… + bias c_out

Output lengths: the window rules of ``explain/shapes.py`` (``torch_conv``, ``torch_transpose``).
"""
from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Optional, Sequence

from ..compute import (ZERO, Cost, input_positions, input_values, spatial_positions, spatial_values)
from ..errors import ExplainError
from ..shapes import Window, torch_conv, torch_transpose
from ..symbols import KERNEL_SYMBOLS, Value, c_in, c_out, g, product
from .base import (Group, Layer, Shape, _count, _tuple_of, anything, arg, counts, flag, has_bias, size,
                   sizes, layer_type)
from . import _texts
from ._spatial import Windowed, uniform_stride
from .registry import lazy, lazy_getattr
from .torch_core import check_stated, torch_module


def _padding(ctx, name: str, raw: object, rank: int):
    if isinstance(raw, str):
        value = raw.lower()
        if value not in ("same", "valid"):
            raise ExplainError(f"'padding' must be a number, a list, 'same' or 'valid'. Received: padding={raw!r}")
        return value
    return _tuple_of(_count)(ctx, name, raw, rank)


@cache
def _conv_groups(rank: int, transposed: bool, grouped: bool, bias: bool) -> tuple[Group, ...]:
    kernel = product(KERNEL_SYMBOLS[rank])
    if transposed:
        weight = c_in * (c_out / g if grouped else c_out) * kernel
    else:
        weight = c_out * (c_in / g if grouped else c_in) * kernel
    return (Group("weight", weight), Group("bias", c_out)) if bias else (Group("weight", weight),)


@cache
def _conv_cost(rank: int, transposed: bool, grouped: bool, bias: bool) -> tuple:
    """MACs: the weight at every output position (a transposed convolution: every input
    position), H_out·W_out·c_out·(c_in/g)·k_h·k_w; bias adds H_out·W_out·c_out."""
    weight = _conv_groups(rank, transposed, grouped, False)[0].formula
    positions = input_positions(rank) if transposed else spatial_positions(rank)
    return positions * weight, (spatial_positions(rank) * c_out if bias else ZERO)


@layer_type
class _TorchConv(Layer, Windowed):
    """PyTorch's convolutions Conv1d/2d/3d, channels first: weight c_out·(c_in/g)·k… + bias c_out."""

    exact_shape_rule = True
    symbol_meanings = {"c_out": "conv_out_channels"}
    role = "conv"
    explanation = _texts.CONV
    explanation_no_bias = _texts.CONV_NO_BIAS

    transposed = False
    positional: ClassVar[tuple[str, ...]] = ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                                             "dilation", "groups", "bias", "padding_mode")
    in_channels: Value = size()
    out_channels: Value = size()
    kernel_size: tuple = sizes()
    stride: tuple = sizes(1)
    padding: Any = arg(_padding, 0)
    dilation: tuple = sizes(1)
    groups: Value = size(1)
    bias: bool = flag(True)
    padding_mode: object = anything("zeros")
    device: object = anything()
    dtype: object = anything()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 1

    def validate(self, ctx) -> None:
        groups = ctx.numeric(self.groups)
        for arg_name in ("in_channels", "out_channels"):
            n = ctx.numeric(getattr(self, arg_name))
            if groups and n is not None and n % groups:
                raise ExplainError(f"{self.type_name}: {arg_name} must be divisible by groups. "
                                   f"Received: {arg_name}={n}, groups={groups}")
        if self.padding == "same" and any(ctx.numeric(s) != 1 for s in self.stride):
            raise ExplainError(f"{self.type_name}: padding='same' needs stride 1. "
                               f"Received: stride={self.stride}")

    def weight_groups(self) -> tuple[Group, ...]:
        return _conv_groups(self.rank, self.transposed, self.groups != 1, self.bias)

    def cost(self, shapes, out, values) -> Cost:
        macs, other = _conv_cost(self.rank, self.transposed, self.groups != 1, self.bias)
        found = spatial_values(self.rank, out[1:])
        if self.transposed:
            found.update(input_values(self.rank, shapes[0][1:]))
        return Cost(macs, other, found)

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        if self.groups == 1:
            return super().explanation_for(weights)
        if self.transposed:
            return (_texts.CONV_TRANSPOSE_GROUPED if has_bias(weights)
                    else _texts.CONV_TRANSPOSE_GROUPED_NO_BIAS)
        return _texts.CONV_GROUPED if has_bias(weights) else _texts.CONV_GROUPED_NO_BIAS

    def values(self, shape: Shape) -> dict:
        check_stated(self.type_name, "in_channels", self.in_channels, shape[0], shape,
                     "channel axis (axis 1)")
        return {**dict(zip(KERNEL_SYMBOLS[self.rank], self.kernel_size)),
                c_in: self.in_channels, c_out: self.out_channels, g: self.groups}

    def stride_argument(self) -> str | None:
        return uniform_stride("stride", self.stride, skip_one=True)

    def axis_window(self, i: int, length) -> Window:
        padding = self.padding if isinstance(self.padding, str) else self.padding[i]
        return torch_conv(self.kernel_size[i], self.stride[i], self.dilation[i], padding)

    def output_shape(self, shape: Shape) -> Shape:
        check_stated(self.type_name, "in_channels", self.in_channels, shape[0], shape,
                     "channel axis (axis 1)")
        return (self.out_channels,) + self.window_lengths(shape)


@cache
def _transpose() -> type:
    @layer_type
    class _TorchConvTranspose(_TorchConv):
        exact_shape_rule = False  # output_padding and a forward's output_size: not covered
        role = "conv_transpose"
        explanation = _texts.CONV_TRANSPOSE
        explanation_no_bias = _texts.CONV_TRANSPOSE_NO_BIAS

        transposed = True
        positional = ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                      "output_padding", "groups", "bias", "dilation", "padding_mode")
        padding: tuple = arg(_tuple_of(_count), 0)
        output_padding: tuple = counts(0)

        def axis_window(self, i: int, length) -> Window:
            return torch_transpose(self.kernel_size[i], self.stride[i], self.dilation[i], self.padding[i],
                                   self.output_padding[i])

    _TorchConvTranspose.__qualname__ = "_TorchConvTranspose"
    return _TorchConvTranspose


def _define(base: type, name: str, rank: int) -> type:
    """The registered torch module ``name`` of spatial rank ``rank``, a frozen dataclass over ``base``."""
    cls = type(name, (base,), {"__module__": base.__module__, "rank": rank, "__doc__": base.__doc__})
    return torch_module(name)(layer_type(cls))


Conv1d = _define(_TorchConv, "Conv1d", 1)
Conv2d = _define(_TorchConv, "Conv2d", 2)
Conv3d = _define(_TorchConv, "Conv3d", 3)


_LAZY_TYPES = {"ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}
"""Built, with their base, when a model first asks the registry for one (``registry.lazy``): a
CNN that only convolves does not build them (a dataclass costs ≈ 0.6 ms)."""

__getattr__ = lazy_getattr(__name__, _LAZY_TYPES, "pytorch")


def _define_transpose(rank: int) -> None:
    name = f"ConvTranspose{rank}d"
    lazy(name, globals(), "pytorch")(lambda: _define(_transpose(), name, rank))


for _r in (1, 2, 3):
    _define_transpose(_r)
