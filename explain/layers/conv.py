"""Convolutions: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

Conv:        kernel k_h·k_w·(c_in/g)·c_out + bias c_out        (rank 2; k, or k_d·k_h·k_w otherwise)
Transposed:  kernel k_h·k_w·c_out·c_in + bias c_out
Depthwise:   kernel k_h·k_w·c_in·m + bias c_in·m
Separable:   depthwise k_h·k_w·c_in·m + pointwise c_in·m·c_out + bias c_out
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence
from functools import cache

from ..compute import (Cost, activation_ops, input_positions, input_values, spatial_positions, spatial_values)
from ..errors import ExplainError
from ..shapes import Window, effective_kernel, keras_conv, keras_transpose
from ..symbols import KERNEL_SYMBOLS, Value, c_in, c_out, g, m, product
from .base import (Group, Layer, Shape, choice, flag, format_shape, has_bias, known, lora_r, lora_rank_arg,
                   optional_counts, size, sizes, with_lora, activation_arg, layer_type)
from . import _texts
from .registry import lazy, lazy_getattr, register
from ._spatial import Spatial, Windowed, uniform_stride


_LAZY_TYPES: set[str] = set()
"""The types a CNN seldom uses (Conv1D; the transposed, depthwise and separable convolutions,
each kind built with its base): built when a model first asks the registry for one
(``registry.lazy``), as core's element-wise types are; a dataclass costs ≈ 0.5 ms."""


def _lazy(*names: str, aliases: tuple[str, ...] = ()) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """The function that defines the types ``names`` (and registers ``aliases``) as their builder."""
    _LAZY_TYPES.update(names)
    return lazy(names[0], globals(), also=names[1:] + aliases)


__getattr__ = lazy_getattr(__name__, _LAZY_TYPES)


@cache
def _kernel(rank: int):
    return product(KERNEL_SYMBOLS[rank])


_CONV_IGNORES = frozenset({"kernel_initializer", "bias_initializer", "kernel_regularizer",
                           "bias_regularizer", "kernel_constraint", "bias_constraint", "lora_alpha"})
_DEPTHWISE_IGNORES = frozenset({"depthwise_initializer", "bias_initializer",
                                "depthwise_regularizer", "bias_regularizer", "depthwise_constraint",
                                "bias_constraint"})
_SEPARABLE_IGNORES = _DEPTHWISE_IGNORES | {"pointwise_initializer", "pointwise_regularizer",
                                           "pointwise_constraint"}


@layer_type
class _ConvBase(Spatial, Windowed):
    """What every Keras convolution has: kernel_size, strides, padding, dilation_rate, use_bias,
    activation; the output length per spatial axis from the convolution's window."""

    role = "conv"

    ignores = _CONV_IGNORES
    kernel_size: tuple = sizes()
    strides: tuple = sizes(1)
    padding: str = choice("valid", "same", default="valid")
    dilation_rate: tuple = sizes(1)
    use_bias: bool = flag(True)
    activation: Optional[str] = activation_arg()

    def check_strides_and_dilation(self, ctx) -> None:
        """Keras refuses strides > 1 together with dilation_rate > 1 (Conv and ConvTranspose; the
        depthwise and separable convolutions accept it)."""
        if any(ctx.numeric(s) != 1 for s in self.strides) and \
                any(ctx.numeric(d) != 1 for d in self.dilation_rate):
            raise ExplainError("strides > 1 cannot be combined with dilation_rate > 1. "
                               f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}")

    def ops_per_output(self) -> int:
        """Other operations per output element: the bias add and the activation's."""
        return int(bool(self.use_bias)) + activation_ops(self.activation)

    def out_values(self, out: Shape) -> dict:
        """H_out, W_out, … of the output (``explain.compute``)."""
        return spatial_values(self.rank, self.split(out)[0])

    def channels_in(self, shape: Shape) -> Value:
        return known(self.split(shape)[1], "number of input channels (c_in)", self.type_name)

    def kernel_values(self) -> dict:
        return dict(zip(KERNEL_SYMBOLS[self.rank], self.kernel_size))

    def stride_argument(self) -> str | None:
        return uniform_stride("strides", self.strides, skip_one=True)

    def axis_window(self, i: int, length) -> Window:
        return keras_conv(length, self.kernel_size[i], self.strides[i], self.dilation_rate[i], self.padding)

    def spatial_out(self, shape: Shape) -> tuple:
        spatial, _ = self.split(shape)
        out = self.window_lengths(shape)
        for i, (n, o, k, d) in enumerate(zip(spatial, out, self.kernel_size, self.dilation_rate)):
            if isinstance(o, int) and o <= 0:
                k_eff = effective_kernel(k, d)
                dilated = f" (kernel_size {k} with dilation_rate {d})" if d != 1 else ""
                raise ExplainError(
                    f"with padding 'valid' the kernel of size {k_eff}{dilated} does not fit the input "
                    f"of size {n} on axis {self.spatial_axis(i)}; the output would have size {o}. "
                    f"Use padding 'same' or a smaller kernel. Received: kernel_size={self.kernel_size}, "
                    f"input_shape={format_shape(shape)}")
        return out


@cache
def _conv_groups(rank: int, grouped: bool, bias: bool) -> tuple[Group, ...]:
    per_group_in = c_in / g if grouped else c_in
    kernel = Group("kernel", _kernel(rank) * per_group_in * c_out)
    return (kernel, Group("bias", c_out)) if bias else (kernel,)


@cache
def _conv_cost(rank: int, grouped: bool, ops: int, lora: bool) -> tuple:
    """MACs H_out·W_out·k_h·k_w·(c_in/g)·c_out (+ the LoRA path H_out·W_out·(k_h·k_w·(c_in/g)·r
    + r·c_out)); other operations H_out·W_out·c_out per bias add and activation operation."""
    kernel = _conv_groups(rank, grouped, False)[0].formula
    per_position = kernel + (kernel / c_out * lora_r + lora_r * c_out if lora else 0)
    positions = spatial_positions(rank)
    return positions * per_position, ops * positions * c_out


@layer_type
class _Conv(_ConvBase):
    """Conv1D/2D/3D: kernel k…·(c_in/g)·c_out + bias c_out; (…, c_in) → (…, filters)."""

    role = "conv"
    explanation = _texts.CONV
    explanation_no_bias = _texts.CONV_NO_BIAS

    positional = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                  "groups", "activation", "use_bias")
    filters: Value = size()
    symbol_meanings = {"c_out": "conv_filters"}
    groups: Value = size(1)
    lora_rank: Value | None = lora_rank_arg()

    def validate(self, ctx) -> None:
        self.check_strides_and_dilation(ctx)
        filters, groups = ctx.numeric(self.filters), ctx.numeric(self.groups)
        if filters is not None and groups is not None and filters % groups:
            raise ExplainError(f"'filters' must be divisible by 'groups'. "
                               f"Received: filters={self.filters}, groups={self.groups}")

    def weight_groups(self) -> tuple[Group, ...]:
        groups = _conv_groups(self.rank, self.groups != 1, self.use_bias)
        if not self.lora_rank:
            return groups
        rows = groups[0].formula / c_out  # k…·(c_in/g): the kernel without its last axis
        return with_lora(groups, "kernel", rows, c_out)

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        if self.groups != 1:
            return _texts.CONV_GROUPED if has_bias(weights) else _texts.CONV_GROUPED_NO_BIAS
        return super().explanation_for(weights)

    def values(self, shape: Shape) -> dict:
        cin = self.channels_in(shape)
        groups = self.groups
        if isinstance(cin, int) and isinstance(groups, int) and cin % groups:
            raise ExplainError(f"the number of input channels ({cin}) must be divisible by "
                               f"'groups'. Received: groups={groups}")
        values = {**self.kernel_values(), c_in: cin, c_out: self.filters, g: groups}
        return {**values, lora_r: self.lora_rank} if self.lora_rank else values

    def notes(self) -> tuple[str, ...]:
        return ("lora",) if self.lora_rank else ()

    def compute_explanation_for(self) -> Optional[str]:
        if self.lora_rank:
            return None
        if self.groups != 1:
            return _texts.CONV_GROUPED_COMPUTE
        return _texts.CONV_COMPUTE

    def compute_math(self) -> dict:
        """MACs per output element k_h·k_w·c_in (/g) and output elements c_out·H_out·W_out."""
        return {"per_output": _conv_groups(self.rank, self.groups != 1, False)[0].formula / c_out,
                "outputs": c_out * spatial_positions(self.rank)}

    def cost(self, shapes, out, values) -> Cost:
        macs, other = _conv_cost(self.rank, self.groups != 1, self.ops_per_output(), bool(self.lora_rank))
        return Cost(macs, other, self.out_values(out))

    def output_shape(self, shape: Shape) -> Shape:
        return self.join(self.spatial_out(shape), self.filters)


@_lazy("Conv1D", aliases=("Convolution1D",))
def _conv1d() -> type[Layer]:
    @register("Conv1D", "Convolution1D")
    @layer_type
    class Conv1D(_Conv):
        """Conv1D: kernel k·(c_in/g)·c_out + bias c_out; padding may also be "causal"."""

        rank = 1
        padding: str = choice("valid", "same", "causal", default="valid")

    return Conv1D


@register("Conv2D", "Convolution2D")
@layer_type
class Conv2D(_Conv):
    rank = 2


@register("Conv3D", "Convolution3D")
@layer_type
class Conv3D(_Conv):
    rank = 3


@cache
def _transpose_groups(rank: int, bias: bool) -> tuple[Group, ...]:
    kernel = Group("kernel", _kernel(rank) * c_out * c_in)
    return (kernel, Group("bias", c_out)) if bias else (kernel,)


@cache
def _transpose_cost(rank: int, ops: int) -> tuple:
    macs = input_positions(rank) * _transpose_groups(rank, False)[0].formula
    return macs, ops * spatial_positions(rank) * c_out


@_lazy("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
       aliases=("Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose"))
def _transposes() -> tuple[type[Layer], ...]:
    @layer_type
    class _ConvTranspose(_ConvBase):
        """Transposed convolution: kernel k…·c_out·c_in + bias c_out; (…, c_in) → (…, filters)."""

        role = "conv_transpose"
        explanation = _texts.CONV_TRANSPOSE
        explanation_no_bias = _texts.CONV_TRANSPOSE_NO_BIAS

        positional = ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
                      "dilation_rate", "activation", "use_bias")
        ignores = _CONV_IGNORES - {"lora_rank", "lora_alpha"}
        filters: Value = size()
        symbol_meanings = {"c_out": "conv_filters"}
        output_padding: tuple | None = optional_counts()

        def validate(self, ctx) -> None:
            self.check_strides_and_dilation(ctx)
            for i, (p, s) in enumerate(zip(self.output_padding or (), self.strides)):
                np_, ns = ctx.numeric(p), ctx.numeric(s)
                if np_ is not None and ns is not None and np_ >= ns:
                    raise ExplainError(f"'output_padding' must be smaller than 'strides' on every axis "
                                       f"(axis {i + 1}: {p} ≥ {s}). Received: output_padding="
                                       f"{self.output_padding}, strides={self.strides}")

        def weight_groups(self) -> tuple[Group, ...]:
            return _transpose_groups(self.rank, self.use_bias)

        def cost(self, shapes, out, values) -> Cost:
            """Each input position scatters k…·c_out values per input channel: MACs
            H_in·W_in·k_h·k_w·c_in·c_out; bias adds and activation H_out·W_out·c_out each."""
            macs, other = _transpose_cost(self.rank, self.ops_per_output())
            spatial = self.split(shapes[0])[0]
            return Cost(macs, other, {**input_values(self.rank, spatial), **self.out_values(out)})

        def values(self, shape: Shape) -> dict:
            return {**self.kernel_values(), c_in: self.channels_in(shape), c_out: self.filters}

        def axis_window(self, i: int, length) -> Window:
            op = self.output_padding[i] if self.output_padding else None
            return keras_transpose(self.kernel_size[i], self.strides[i], self.dilation_rate[i], self.padding, op)

        def output_shape(self, shape: Shape) -> Shape:
            return self.join(self.window_lengths(shape), self.filters)

    @register("Conv1DTranspose", "Convolution1DTranspose")
    @layer_type
    class Conv1DTranspose(_ConvTranspose):
        rank = 1

    @register("Conv2DTranspose", "Convolution2DTranspose")
    @layer_type
    class Conv2DTranspose(_ConvTranspose):
        rank = 2

    @register("Conv3DTranspose", "Convolution3DTranspose")
    @layer_type
    class Conv3DTranspose(_ConvTranspose):
        rank = 3
        # Keras 3 takes data_format before output_padding here (unlike Conv1D/2DTranspose).
        positional = ("filters", "kernel_size", "strides", "padding", "data_format", "output_padding",
                      "dilation_rate", "activation", "use_bias")

    return Conv1DTranspose, Conv2DTranspose, Conv3DTranspose


@cache
def _positions_times(rank: int, macs: object, other: object) -> tuple:
    """Per-position formulas at every output position (H_out·W_out·…)."""
    positions = spatial_positions(rank)
    return positions * macs, positions * other


@cache
def _depthwise_groups(rank: int, bias: bool) -> tuple[Group, ...]:
    kernel = Group("depthwise_kernel", _kernel(rank) * c_in * m)
    return (kernel, Group("bias", c_in * m)) if bias else (kernel,)


@_lazy("DepthwiseConv1D", "DepthwiseConv2D")
def _depthwise() -> tuple[type[Layer], ...]:
    @layer_type
    class _Depthwise(_ConvBase):
        """Depthwise convolution: kernel k…·c_in·m + bias c_in·m; (…, c_in) → (…, c_in·m)."""

        role = "depthwise"
        explanation = _texts.DEPTHWISE
        explanation_no_bias = _texts.DEPTHWISE_NO_BIAS

        positional = ("kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                      "dilation_rate", "activation", "use_bias")
        ignores = _DEPTHWISE_IGNORES
        depth_multiplier: Value = size(1)

        def weight_groups(self) -> tuple[Group, ...]:
            return _depthwise_groups(self.rank, self.use_bias)

        def cost(self, shapes, out, values) -> Cost:
            """MACs H_out·W_out·k_h·k_w·c_in·m; bias adds and activation H_out·W_out·c_in·m each."""
            groups = _depthwise_groups(self.rank, True)
            macs, other = _positions_times(self.rank, groups[0].formula,
                                           self.ops_per_output() * groups[1].formula)
            return Cost(macs, other, self.out_values(out))

        def values(self, shape: Shape) -> dict:
            return {**self.kernel_values(), c_in: self.channels_in(shape), m: self.depth_multiplier}

        def output_shape(self, shape: Shape) -> Shape:
            return self.join(self.spatial_out(shape), self.channels_in(shape) * self.depth_multiplier)

    @register("DepthwiseConv1D")
    @layer_type
    class DepthwiseConv1D(_Depthwise):
        rank = 1

    @register("DepthwiseConv2D")
    @layer_type
    class DepthwiseConv2D(_Depthwise):
        rank = 2

    return DepthwiseConv1D, DepthwiseConv2D


@cache
def _separable_groups(rank: int, bias: bool) -> tuple[Group, ...]:
    parts = (Group("depthwise_kernel", _kernel(rank) * c_in * m),
             Group("pointwise_kernel", c_in * m * c_out))
    return parts + (Group("bias", c_out),) if bias else parts


@_lazy("SeparableConv1D", "SeparableConv2D", aliases=("SeparableConvolution1D", "SeparableConvolution2D"))
def _separable() -> tuple[type[Layer], ...]:
    @layer_type
    class _Separable(_ConvBase):
        """Separable convolution: depthwise k…·c_in·m + pointwise c_in·m·c_out + bias c_out."""

        role = "separable"
        explanation = _texts.SEPARABLE

        positional = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                      "depth_multiplier", "activation", "use_bias")
        ignores = _SEPARABLE_IGNORES
        filters: Value = size()
        symbol_meanings = {"c_out": "conv_filters"}
        depth_multiplier: Value = size(1)

        def weight_groups(self) -> tuple[Group, ...]:
            return _separable_groups(self.rank, self.use_bias)

        def cost(self, shapes, out, values) -> Cost:
            """Depthwise then pointwise at every output position: MACs
            H_out·W_out·(k_h·k_w·c_in·m + c_in·m·c_out); bias adds and activation H_out·W_out·c_out
            each."""
            groups = _separable_groups(self.rank, True)
            macs, other = _positions_times(self.rank, groups[0].formula + groups[1].formula,
                                           self.ops_per_output() * groups[2].formula)
            return Cost(macs, other, self.out_values(out))

        def values(self, shape: Shape) -> dict:
            return {**self.kernel_values(), c_in: self.channels_in(shape), m: self.depth_multiplier,
                    c_out: self.filters}

        def output_shape(self, shape: Shape) -> Shape:
            return self.join(self.spatial_out(shape), self.filters)

    @register("SeparableConv1D", "SeparableConvolution1D")
    @layer_type
    class SeparableConv1D(_Separable):
        rank = 1

    @register("SeparableConv2D", "SeparableConvolution2D")
    @layer_type
    class SeparableConv2D(_Separable):
        rank = 2

    return SeparableConv1D, SeparableConv2D
